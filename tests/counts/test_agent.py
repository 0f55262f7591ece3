"""The count agent's checks on each question (signature, age, nonce, region) and its signed
answers, in this process; the hub's checks on the agent's answers."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from studienav.core.models import Region
from studienav.counts import signatures
from studienav.counts.agent import AgentConfig, agent_answer, agent_server
from studienav.counts.federation import AgentFailed, agent_ask
from studienav.counts.models import CountAgent, CountQuestion
from tests.counts.population import DIABETES, PopulationCounter

pytestmark = pytest.mark.django_db

DEFINITION = {
    "age": {"min": 18, "max": 90},
    "inclusions": [{"domain": "condition", "concepts": {"concept_ids": [DIABETES]}}],
}


@pytest.fixture
def hub() -> tuple[Any, str]:
    private, public = signatures.key_pair_new()
    return signatures.private_key_load(private), public


@pytest.fixture
def config(uppsala: Region, hub: tuple[Any, str], counter: PopulationCounter) -> AgentConfig:
    private, _public = signatures.key_pair_new()
    return AgentConfig(
        region=uppsala,
        private_key=signatures.private_key_load(private),
        hub_keys=(hub[1],),
        count_fn=counter,
    )


def _question(**overrides: Any) -> dict[str, Any]:
    message = {
        "kind": "count",
        "region": "03",
        "definition": DEFINITION,
        "requester": "forum-mellansverige:user:1",
        "nonce": secrets.token_hex(16),
        "sent_at": int(time.time()),
    }
    message.update(overrides)
    return message


def _ask(config: AgentConfig, hub: tuple[Any, str], message: dict[str, Any], **kwargs: Any) -> Any:
    body = signatures.canonical(message)
    return agent_answer(
        config, body=body, signature=signatures.sign(hub[0], body), key=hub[1], **kwargs
    )


def test_a_signed_question_gets_a_protected_answer(
    config: AgentConfig, hub: tuple[Any, str]
) -> None:
    message = _question()
    reply = _ask(config, hub, message)
    assert reply.status == 200
    assert reply.message["nonce"] == message["nonce"]
    assert reply.message["question_digest"] == signatures.digest(signatures.canonical(message))
    assert reply.message["answer"]["status"] == "answered"
    logged = CountQuestion.objects.get()
    assert logged.channel == "agent"
    assert logged.requester == "forum-mellansverige:user:1"


def test_an_unsigned_question_is_refused(config: AgentConfig, hub: tuple[Any, str]) -> None:
    body = signatures.canonical(_question())
    reply = agent_answer(config, body=body, signature="", key=hub[1])
    assert (reply.status, reply.message["error"]) == (401, "bad_signature")
    assert not CountQuestion.objects.exists()


def test_a_question_from_an_unknown_hub_is_refused(config: AgentConfig) -> None:
    private, public = signatures.key_pair_new()
    stranger = (signatures.private_key_load(private), public)
    assert _ask(config, stranger, _question()).status == 401


def test_a_changed_question_breaks_the_signature(config: AgentConfig, hub: tuple[Any, str]) -> None:
    body = signatures.canonical(_question())
    signature = signatures.sign(hub[0], body)
    changed = body.replace(b'"min":18', b'"min":19')
    assert agent_answer(config, body=changed, signature=signature, key=hub[1]).status == 401


def test_a_replayed_question_is_refused(config: AgentConfig, hub: tuple[Any, str]) -> None:
    message = _question()
    assert _ask(config, hub, message).status == 200
    reply = _ask(config, hub, message)
    assert (reply.status, reply.message["error"]) == (409, "replay")
    assert CountQuestion.objects.count() == 1


def test_an_old_question_is_refused(config: AgentConfig, hub: tuple[Any, str]) -> None:
    reply = _ask(config, hub, _question(sent_at=int(time.time()) - 3600))
    assert (reply.status, reply.message["error"]) == (401, "stale")


def test_a_question_for_another_region_is_refused(
    config: AgentConfig, hub: tuple[Any, str]
) -> None:
    reply = _ask(config, hub, _question(region="18"))
    assert (reply.status, reply.message["error"]) == (421, "wrong_region")


def test_an_invalid_definition_is_refused_with_its_field(
    config: AgentConfig, hub: tuple[Any, str]
) -> None:
    reply = _ask(config, hub, _question(definition={"age": {"min": 90, "max": 18}}))
    assert reply.status == 400
    assert reply.message["error"] == "definition_invalid"


@pytest.fixture
def running(config: AgentConfig) -> Iterator[str]:
    server = agent_server(config, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db(transaction=True)
def test_the_hub_checks_the_agents_signature(
    running: str, config: AgentConfig, uppsala: Region, settings: Any, hub: tuple[Any, str]
) -> None:
    private, _public = signatures.key_pair_new()
    settings.COUNTS_HUB_PRIVATE_KEY = _raw(hub[0])
    agent = CountAgent(
        region=uppsala, url=running, public_key=signatures.public_key_text(config.private_key)
    )
    reply, payload, signature = agent_ask(agent=agent, message=_question())
    assert reply["answer"]["status"] == "answered"
    assert signatures.verify(agent.public_key, payload.encode(), signature)
    forged = CountAgent(
        region=uppsala,
        url=running,
        public_key=signatures.public_key_text(signatures.private_key_load(private)),
    )
    with pytest.raises(AgentFailed, match="not signed"):
        agent_ask(agent=forged, message=_question())


@pytest.mark.django_db(transaction=True)
def test_the_hub_refuses_an_answer_to_another_question(
    running: str, config: AgentConfig, uppsala: Region, settings: Any, hub: tuple[Any, str]
) -> None:
    settings.COUNTS_HUB_PRIVATE_KEY = _raw(hub[0])
    agent = CountAgent(
        region=uppsala, url=running, public_key=signatures.public_key_text(config.private_key)
    )
    message = _question()
    agent_ask(agent=agent, message=message)
    with pytest.raises(AgentFailed, match="replay"):
        agent_ask(agent=agent, message=message)


def test_an_unreachable_agent_fails_cleanly(uppsala: Region) -> None:
    agent = CountAgent(region=uppsala, url="http://127.0.0.1:9", public_key="A" * 43 + "=")
    with pytest.raises(AgentFailed, match="not reachable"):
        agent_ask(agent=agent, message=_question())


def test_the_agent_answers_health_signed(running: str, config: AgentConfig) -> None:
    import httpx

    response = httpx.get(running + "/health")
    assert json.loads(response.content)["region"] == "03"
    assert signatures.verify(
        signatures.public_key_text(config.private_key),
        response.content,
        response.headers[signatures.SIGNATURE_HEADER],
    )


def test_count_agent_prints_a_new_key_pair() -> None:
    out = StringIO()
    call_command("count_agent", "--new-key", stdout=out)
    assert "COUNTS_AGENT_PRIVATE_KEY=" in out.getvalue()


def test_count_agent_refuses_to_start_without_its_key(settings: Any) -> None:
    settings.COUNTS_AGENT_PRIVATE_KEY = ""
    with pytest.raises(SystemExit) as exit_:
        call_command("count_agent", "--region", "03", stderr=StringIO())
    assert exit_.value.code == 2


def _raw(private: Any) -> str:
    import base64

    from cryptography.hazmat.primitives import serialization

    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()
