"""The count agent: a small HTTP service on the region's own machine that holds the region's
store and privacy rules and answers only protected counts, to signed questions only.

Protocol (JSON over HTTP, every message signed with Ed25519, see `signatures`):

- `POST /count` with a question `{"kind": "count", "region", "definition", "requester",
  "nonce", "sent_at"}` signed by a hub key the agent trusts. The agent refuses a question
  older or newer than COUNTS_AGENT_MAX_AGE seconds, a nonce it has seen (replay), another
  region's question, and anything unsigned. It answers `{"region", "nonce",
  "question_digest", "answer", "answered_at"}` signed with its own key; `answer` is what
  `protected_count` gave (shown values only, or the rule that refused).
- `GET /health` answers `{"region", "status": "ok", "answered_at"}`, signed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import close_old_connections

from studienav.core.errors import DomainError
from studienav.core.models import Region
from studienav.counts import signatures
from studienav.counts.definition import definition_parse
from studienav.counts.protection import CountFn, protected_count

logger = logging.getLogger(__name__)

MAX_BODY = 512 * 1024


class NonceCache:
    """Nonces seen within the validity window; older ones are forgotten (their questions
    are refused as stale anyway)."""

    def __init__(self, max_age: int) -> None:
        self.max_age = max_age
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, nonce: str, now: float) -> bool:
        with self._lock:
            for old in [n for n, at in self._seen.items() if at < now - 2 * self.max_age]:
                del self._seen[old]
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


@dataclass
class AgentConfig:
    """What one agent holds: its region, its key, the hubs it trusts."""

    region: Region
    private_key: Ed25519PrivateKey
    hub_keys: tuple[str, ...]
    max_age: int = 300
    count_fn: CountFn | None = None
    nonces: NonceCache = field(init=False)

    def __post_init__(self) -> None:
        self.nonces = NonceCache(self.max_age)

    def signed(self, message: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        body = signatures.canonical(message)
        headers = {
            signatures.SIGNATURE_HEADER: signatures.sign(self.private_key, body),
            signatures.KEY_HEADER: signatures.public_key_text(self.private_key),
        }
        return body, headers


@dataclass(frozen=True)
class Reply:
    status: int
    message: dict[str, Any]


def _error(status: int, code: str, region: str) -> Reply:
    return Reply(status, {"region": region, "error": code, "answered_at": int(time.time())})


def agent_answer(
    config: AgentConfig, *, body: bytes, signature: str, key: str, now: float | None = None
) -> Reply:
    """Check one signed question and answer it under the region's rules."""
    now = time.time() if now is None else now
    code = config.region.code
    if key not in config.hub_keys or not signatures.verify(key, body, signature):
        return _error(401, "bad_signature", code)
    try:
        question = json.loads(body)
    except ValueError:
        return _error(400, "not_json", code)
    if not isinstance(question, dict) or question.get("kind") != "count":
        return _error(400, "not_a_question", code)
    sent_at = question.get("sent_at")
    if not isinstance(sent_at, int | float) or abs(now - sent_at) > config.max_age:
        return _error(401, "stale", code)
    nonce = question.get("nonce")
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64:
        return _error(400, "bad_nonce", code)
    if question.get("region") != code:
        return _error(421, "wrong_region", code)
    if not config.nonces.first_use(nonce, now):
        return _error(409, "replay", code)
    content = question.get("definition")
    if not isinstance(content, dict):
        return _error(400, "definition_invalid", code)
    try:
        definition = definition_parse(content)
    except DomainError as error:
        return Reply(400, {"region": code, "error": "definition_invalid", "field": error.field})
    answer = protected_count(
        region=config.region,
        definition=definition,
        requester=str(question.get("requester") or "hub")[:200],
        channel="agent",
        count_fn=config.count_fn,
    )
    return Reply(
        200,
        {
            "region": code,
            "nonce": nonce,
            "question_digest": signatures.digest(body),
            "answer": answer.as_json(),
            "answered_at": int(now),
        },
    )


def _handler(config: AgentConfig) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "studienav-count-agent"
        sys_version = ""

        def _send(self, reply: Reply) -> None:
            body, headers = config.signed(reply.message)
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            code = config.region.code
            if self.path != "/health":
                self._send(_error(404, "not_found", code))
                return
            self._send(
                Reply(200, {"region": code, "status": "ok", "answered_at": int(time.time())})
            )

        def do_POST(self) -> None:
            code = config.region.code
            if self.path != "/count":
                self._send(_error(404, "not_found", code))
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._send(_error(411, "length_required", code))
                return
            if not 0 < length <= MAX_BODY:
                self._send(_error(413, "too_large", code))
                return
            body = self.rfile.read(length)
            close_old_connections()
            try:
                reply = agent_answer(
                    config,
                    body=body,
                    signature=self.headers.get(signatures.SIGNATURE_HEADER, ""),
                    key=self.headers.get(signatures.KEY_HEADER, ""),
                )
            except Exception:
                logger.exception("count agent failed to answer")
                reply = _error(500, "failed", code)
            finally:
                close_old_connections()
            self._send(reply)

        def log_message(self, format: str, *args: Any) -> None:
            logger.info("%s %s", self.address_string(), format % args)

    return Handler


def agent_server(config: AgentConfig, *, host: str, port: int) -> HTTPServer:
    """An HTTP server answering one question at a time (the region's lock serialises them
    anyway); `serve_forever()` runs it."""
    server = HTTPServer((host, port), _handler(config))
    server.timeout = 30
    return server


Serve = Callable[[HTTPServer], None]
