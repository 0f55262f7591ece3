"""The hub's side of federated counts: send a definition to each region's agent, check its
signed answer, keep each region's status, and ask waiting regions again when they return.

A region whose data the hub itself holds (a store under COUNTS_DATA_DIR, no agent) is
answered in this process by the same `protected_count` an agent runs.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studienav.core.models import Region
from studienav.counts import signatures
from studienav.counts.definition import definition_parse
from studienav.counts.models import (
    AnswerStatus,
    CountAgent,
    FederatedQuestion,
    QuestionStatus,
    RefusalRule,
    RegionAnswer,
)
from studienav.counts.protection import ProtectedAnswer, protected_count

# A waiting region is asked again on page load at most this often.
RETRY_AFTER = timedelta(seconds=30)


class AgentFailed(Exception):
    """The agent could not be reached, or its answer did not check out."""


def requester_for(question: FederatedQuestion) -> str:
    """How the hub names the asker to the regions: node and account, no personal data."""
    return f"{settings.STUDIENAV_NODE}:user:{question.asked_by_id}"


def _question_message(answer: RegionAnswer) -> dict[str, Any]:
    return {
        "kind": "count",
        "region": answer.region.code,
        "definition": answer.question.version.content,
        "requester": requester_for(answer.question),
        "nonce": answer.nonce,
        "sent_at": int(time.time()),
    }


def agent_ask(
    *, agent: CountAgent, message: dict[str, Any], client: httpx.Client | None = None
) -> tuple[dict[str, Any], str, str]:
    """Send one signed question; the agent's answer after checking its signature, region,
    nonce and the digest of the question it answers. Raises `AgentFailed`."""
    body = signatures.canonical(message)
    key = signatures.hub_private_key()
    headers = {
        "Content-Type": "application/json",
        signatures.SIGNATURE_HEADER: signatures.sign(key, body),
        signatures.KEY_HEADER: signatures.public_key_text(key),
    }
    url = agent.url.rstrip("/") + "/count"
    try:
        if client is None:
            response = httpx.post(
                url, content=body, headers=headers, timeout=settings.COUNTS_AGENT_TIMEOUT
            )
        else:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        raise AgentFailed(f"not reachable: {type(error).__name__}") from error
    signature = response.headers.get(signatures.SIGNATURE_HEADER, "")
    if not signatures.verify(agent.public_key, response.content, signature):
        raise AgentFailed(f"answer not signed by the agent's key (HTTP {response.status_code})")
    try:
        reply = json.loads(response.content)
    except ValueError as error:
        raise AgentFailed("answer is not JSON") from error
    if response.status_code != 200:
        raise AgentFailed(f"refused the question: {reply.get('error', response.status_code)}")
    if (
        reply.get("region") != message["region"]
        or reply.get("nonce") != message["nonce"]
        or reply.get("question_digest") != signatures.digest(body)
    ):
        raise AgentFailed("answer is not for this question")
    return reply, response.content.decode(), signature


def _record(answer: RegionAnswer, protected: dict[str, Any], payload: str, signature: str) -> None:
    status = protected.get("status")
    total = protected.get("total")
    answer.status = (
        AnswerStatus.ANSWERED if status == QuestionStatus.ANSWERED else AnswerStatus.REFUSED
    )
    rule = str(protected.get("rule") or "")
    answer.rule = rule if rule in RefusalRule.values else RefusalRule.INVALID
    answer.shown = "" if total in (None, "") else str(total)[:20]
    answer.value = total if isinstance(total, int) and total >= 0 else None
    answer.attrition = [
        [str(row[0])[:200], row[1] if isinstance(row[1], int) else str(row[1])[:20]]
        for row in protected.get("attrition") or []
        if isinstance(row, list) and len(row) == 2
    ][:50]
    answer.mode = str(protected.get("mode") or "")[:10]
    answer.epsilon_spent = float(protected.get("epsilon_spent") or 0.0)
    left = protected.get("budget_left")
    answer.budget_left = float(left) if isinstance(left, int | float) else None
    answer.signed_payload = payload
    answer.signature = signature
    answer.last_error = str(protected.get("message") or "")[:300]
    answer.answered_at = timezone.now()


def _local(answer: RegionAnswer) -> ProtectedAnswer:
    return protected_count(
        region=answer.region,
        definition=definition_parse(answer.question.version.content),
        requester=answer.question.asked_by,
        channel="hub",
    )


def answer_fetch(*, answer: RegionAnswer, client: httpx.Client | None = None) -> RegionAnswer:
    """Try once to get a waiting region's answer (from its agent, or locally); on failure the
    region stays waiting with the reason."""
    if answer.status != AnswerStatus.WAITING:
        return answer
    answer.attempts += 1
    answer.last_attempt_at = timezone.now()
    # A fresh nonce for each attempt: an attempt whose answer was lost is not a replay.
    answer.nonce = secrets.token_hex(16)
    agent = CountAgent.objects.filter(region=answer.region, is_active=True).first()
    try:
        if agent is not None:
            reply, payload, signature = agent_ask(
                agent=agent, message=_question_message(answer), client=client
            )
            _record(answer, reply["answer"], payload, signature)
            agent.last_seen_at = timezone.now()
            agent.last_error = ""
            agent.save(update_fields=["last_seen_at", "last_error"])
        elif _has_local_store(answer.region):
            _record(answer, _local(answer).as_json(), "", "")
        else:
            raise AgentFailed("no agent is registered for this region")
    except AgentFailed as error:
        answer.last_error = str(error)[:300]
        if agent is not None:
            agent.last_error = answer.last_error
            agent.save(update_fields=["last_error"])
    with transaction.atomic():
        answer.full_clean()
        answer.save()
    return answer


def _has_local_store(region: Region) -> bool:
    from studienav.counts.store import store_path

    return (store_path(region=region.code) / "person.parquet").exists()


def question_send(*, question: FederatedQuestion) -> list[RegionAnswer]:
    """Ask every waiting region of the question once."""
    with httpx.Client(timeout=settings.COUNTS_AGENT_TIMEOUT) as client:
        return [
            answer_fetch(answer=answer, client=client)
            for answer in question.answers.select_related("region", "question__version")
        ]


def region_answers_create(*, question: FederatedQuestion, regions: list[Region]) -> None:
    """One waiting answer per region, each with its own nonce."""
    for region in regions:
        RegionAnswer.objects.create(question=question, region=region, nonce=secrets.token_hex(16))


def answers_retry_waiting(*, only_due: bool = False, limit: int = 100) -> int:
    """Ask the waiting regions again (an agent that was offline answers when it returns).
    Returns how many got an answer. `only_due` skips those tried within RETRY_AFTER."""
    waiting = RegionAnswer.objects.filter(status=AnswerStatus.WAITING).select_related(
        "region", "question__version", "question__asked_by"
    )
    if only_due:
        waiting = waiting.exclude(last_attempt_at__gt=timezone.now() - RETRY_AFTER)
    answered = 0
    with httpx.Client(timeout=settings.COUNTS_AGENT_TIMEOUT) as client:
        for answer in waiting.order_by("last_attempt_at")[:limit]:
            if answer_fetch(answer=answer, client=client).status != AnswerStatus.WAITING:
                answered += 1
    return answered


def question_retry_waiting(*, question: FederatedQuestion) -> int:
    """The results page's retry: only this question's waiting regions, not tried just now."""
    due = question.answers.filter(status=AnswerStatus.WAITING).exclude(
        last_attempt_at__gt=timezone.now() - RETRY_AFTER
    )
    if not due.exists():
        return 0
    answered = 0
    with httpx.Client(timeout=min(settings.COUNTS_AGENT_TIMEOUT, 3.0)) as client:
        for answer in due.select_related("region", "question__version", "question__asked_by"):
            if answer_fetch(answer=answer, client=client).status != AnswerStatus.WAITING:
                answered += 1
    return answered
