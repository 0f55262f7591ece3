"""Deadlines per step of a region's case and its lead time, in Swedish working days.

Working days are those of `studienav.feasibility.figures` (Monday to Friday except public
holidays, Midsummer Eve, Christmas Eve and New Year's Eve). The clock of a case is paused
from a clarification question to the requester's answer: those working days do not count
towards the decision deadline or the lead time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from studienav.disclosure.models import CaseState, RegionCase, Step
from studienav.feasibility.figures import is_working_day, working_days_between


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def working_days_add(day: date, days: int) -> date:
    """The working day `days` working days after `day`."""
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def pauses(case: RegionCase) -> list[tuple[datetime, datetime | None]]:
    """Clarification pauses from the thread: a question pauses, the requester's answer resumes."""
    found: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = None
    for message in case.messages.all():
        if message.is_question and since is None:
            since = message.sent_at
        elif not message.is_question and since is not None:
            found.append((since, message.sent_at))
            since = None
    if since is not None:
        found.append((since, None))
    return found


def paused_working_days(case: RegionCase, until: datetime) -> int:
    """Working days of clarification pauses up to `until`."""
    total = 0
    for start, end in pauses(case):
        stop = min(end or until, until)
        if stop > start:
            total += working_days_between(local_day(start), local_day(stop))
    return total


def working_days_running(case: RegionCase, until: datetime) -> int:
    """Working days from the complete request (its arrival) to `until`, pauses left out."""
    days = working_days_between(local_day(case.received_at), local_day(until))
    return max(days - paused_working_days(case, until), 0)


def lead_time(case: RegionCase) -> int | None:
    """Working days from the complete request to the decision, pauses left out; None if open."""
    if case.decided_at is None:
        return None
    return working_days_running(case, case.decided_at)


def delivered_within_target(case: RegionCase) -> bool | None:
    """Whether delivery came within DISCLOSURE_DELIVERY_TARGET_DAYS; None if not delivered."""
    if case.delivered_at is None:
        return None
    days = working_days_running(case, case.delivered_at)
    return bool(days <= settings.DISCLOSURE_DELIVERY_TARGET_DAYS)


@dataclass(frozen=True)
class Deadline:
    step: Step
    due_on: date

    @property
    def is_overdue(self) -> bool:
        return self.due_on < timezone.localdate()


def case_deadline(case: RegionCase) -> Deadline | None:
    """The deadline of the step the case waits for now, or None when nothing is due."""
    received = local_day(case.received_at)
    if case.state == CaseState.RECEIVED:
        return Deadline(Step.ASSIGN, working_days_add(received, settings.DISCLOSURE_ASSIGN_DAYS))
    if case.state in (CaseState.ASSIGNED, CaseState.ASSESSING):
        paused = paused_working_days(case, timezone.now())
        days = settings.DISCLOSURE_DECISION_DAYS + paused
        return Deadline(Step.DECIDE, working_days_add(received, days))
    if case.state == CaseState.CLARIFICATION and case.paused_since is not None:
        asked = local_day(case.paused_since)
        return Deadline(
            Step.CLARIFY, working_days_add(asked, settings.DISCLOSURE_CLARIFICATION_DAYS)
        )
    if case.state == CaseState.DECIDED and case.decided_at is not None:
        decision = getattr(case, "decision", None)
        if decision is not None and decision.is_approving:
            due = working_days_add(local_day(case.decided_at), settings.DISCLOSURE_DELIVERY_DAYS)
            return Deadline(Step.DELIVER, due)
    return None
