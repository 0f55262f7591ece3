"""`studienav sync-ctgov` against a real HTTP server on 127.0.0.1 serving recorded API pages."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.utils import translation

from studienav.registry.importers import ctgov_sync
from studienav.registry.models import Study
from tests.registry.test_importers import V2

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests compare the importers' exact English messages (tests start in Swedish)."""
    with translation.override("en"):
        yield


def _study(name: str) -> Any:
    return json.loads((V2 / name).read_text(encoding="utf-8"))


PAGES = {
    None: {
        "studies": [_study("NCT02552212.json"), _study("NCT03418623.json")],
        "nextPageToken": "page-2",
    },
    "page-2": {"studies": [_study("NCT02278341.json"), _study("NCT00465816.json")]},
}


class _Api(BaseHTTPRequestHandler):
    requests: list[dict[str, list[str]]] = []
    failures_left = 0

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        type(self).requests.append(query)
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self._send(503, {"message": "Service Unavailable"})
            return
        if url.path != "/api/v2/studies" or query.get("query.locn") != ["Sweden"]:
            self._send(400, {"message": "bad request"})
            return
        token = query.get("pageToken", [None])[0]
        self._send(200, PAGES[token])

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Api]]:
    _Api.requests = []
    _Api.failures_left = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CTGOV_API_URL = f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    monkeypatch.setattr(ctgov_sync, "BACKOFF", 0.05)
    yield _Api
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _sync(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("sync_ctgov", *args, stdout=out, stderr=err)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_sync_follows_page_tokens_and_applies_every_study(api: type[_Api]) -> None:
    code, out, err = _sync("--publish")
    assert out.strip() == "created 3, updated 0, unchanged 1, rejected 0, flagged 1"
    assert err.strip() == (
        "sync-ctgov#4: study_type: the record has no study type (designModule.studyType); kept "
        "as other interventional study, the careful choice, until checked (kept for review)"
    )
    assert code == 0
    assert [r.get("pageToken") for r in api.requests] == [None, ["page-2"]]
    assert all(r["pageSize"] == ["100"] for r in api.requests)
    assert Study.objects.count() == 3
    assert Study.objects.get(identifiers__value="NCT02552212").sites.count() == 105
    again = _sync()
    assert again[1].strip() == "created 0, updated 0, unchanged 4, rejected 0, flagged 1"


def test_since_asks_for_studies_updated_since_the_date(api: type[_Api]) -> None:
    _sync("--since", "2024-01-31")
    assert api.requests[0]["filter.advanced"] == ["AREA[LastUpdatePostDate]RANGE[2024-01-31,MAX]"]


def test_a_503_is_retried_and_the_sync_goes_on(api: type[_Api]) -> None:
    api.failures_left = 2
    _code, out, _err = _sync()
    assert out.strip() == "created 3, updated 0, unchanged 1, rejected 0, flagged 1"
    assert len(api.requests) == 4


def test_a_service_that_keeps_failing_gives_one_clear_line(api: type[_Api]) -> None:
    api.failures_left = 100
    code, _out, err = _sync()
    assert code == 1
    assert err.strip() == (
        f"sync-ctgov: cannot reach ClinicalTrials.gov at {ctgov_sync.base_url()}/studies: "
        "HTTP 503 after 4 attempts"
    )
    assert len(api.requests) == 4


def test_an_unreachable_service_gives_one_clear_line_and_exit_1(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CTGOV_API_URL = f"http://127.0.0.1:{port}/api/v2"
    monkeypatch.setattr(ctgov_sync, "BACKOFF", 0.01)
    code, out, err = _sync()
    assert code == 1
    assert err.strip() == (
        f"sync-ctgov: cannot reach ClinicalTrials.gov at http://127.0.0.1:{port}/api/v2/studies: "
        "connection failed (ConnectError) after 4 attempts"
    )
    assert out.strip() == "created 0, updated 0, unchanged 0, rejected 1, flagged 0"
    assert "Traceback" not in err
