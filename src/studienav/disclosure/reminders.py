"""Deadline reminders of disclosure cases, sent by `studienav send-reminders`.

A reminder goes out once per step and deadline, from two working days before the deadline on
(also when it has passed): to the case handler (or the region's disclosure officers while no
handler is assigned), and for an unanswered clarification to the requester.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from studienav.core.audit import audit_record
from studienav.core.models import User
from studienav.disclosure.deadlines import case_deadline, working_days_add
from studienav.disclosure.models import CaseState, DeadlineReminder, RegionCase, Step
from studienav.disclosure.services import mail_person, officers_of

REMIND_WORKING_DAYS_BEFORE = 2


def _recipients(case: RegionCase, step: str) -> list[User]:
    if step == Step.CLARIFY:
        return [case.request.requester]
    return [case.handler] if case.handler else officers_of(case.region)


@transaction.atomic
def reminders_send(*, today: date | None = None) -> int:
    """Remind whoever a case waits for, once per deadline; returns how many reminders went."""
    today = today or timezone.localdate()
    horizon = working_days_add(today, REMIND_WORKING_DAYS_BEFORE)
    sent = 0
    cases = (
        RegionCase.objects.exclude(state__in=[CaseState.DELIVERED, CaseState.CLOSED])
        .select_related("region", "request__requester", "handler", "decision")
        .prefetch_related("messages")
    )
    for case in cases:
        deadline = case_deadline(case)
        if deadline is None or deadline.due_on > horizon:
            continue
        reminder, created = DeadlineReminder.objects.get_or_create(
            case=case, step=deadline.step, due_on=deadline.due_on
        )
        if not created:
            continue
        audit_record(
            actor=None,
            action="disclosure.reminder.send",
            obj=reminder,
            before={},
            reason=str(deadline.step.label),
        )
        for person in _recipients(case, deadline.step):
            target = case.request if deadline.step == Step.CLARIFY else case
            mail_person(
                person,
                "disclosure/email/reminder",
                {
                    "target": target,
                    "case": case,
                    "step": deadline.step.label,
                    "due_on": deadline.due_on,
                },
            )
        sent += 1
    return sent
