"""Deadlines per step, reminders once per deadline, and lead time in working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from studienav.core.models import OutboxMessage, Region, User
from studienav.disclosure import casework
from studienav.disclosure.deadlines import case_deadline, lead_time, working_days_running
from studienav.disclosure.models import DeadlineReminder, DisclosureRequest, Step
from studienav.disclosure.reminders import reminders_send
from tests.disclosure.conftest import assess, case_of


def _mails_to(address: str) -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.order_by("id") if m.to == address]


def test_a_received_case_waits_for_a_handler_within_three_working_days(
    submitted: DisclosureRequest, uppsala: Region
) -> None:
    deadline = case_deadline(case_of(submitted, uppsala))
    assert deadline is not None
    # Submitted Tuesday 2026-11-24: three working days on is Friday 2026-11-27.
    assert (deadline.step, deadline.due_on) == (Step.ASSIGN, date(2026, 11, 27))


def test_reminders_go_once_per_deadline_to_the_regions_officers(
    submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    before = len(_mails_to(olle.email))
    # Due Friday 2026-11-27: reminded from two working days before, once.
    assert reminders_send(today=date(2026, 11, 24)) == 0
    assert reminders_send(today=date(2026, 11, 25)) == 7
    assert reminders_send(today=date(2026, 11, 30)) == 0
    assert len(_mails_to(olle.email)) == before + 1
    assert DeadlineReminder.objects.filter(step=Step.ASSIGN).count() == 7


def test_an_unanswered_clarification_reminds_the_requester(
    submitted: DisclosureRequest, olle: User, anna: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    casework.case_clarification_ask(by=olle, case=case, text="Vilka variabler?")
    deadline = case_deadline(case_of(submitted, uppsala))
    assert deadline is not None and deadline.step == Step.CLARIFY
    asked = len(_mails_to(anna.email))
    reminders_send(today=deadline.due_on)
    assert len(_mails_to(anna.email)) == asked + 1


def test_the_clarification_pause_is_left_out_of_the_lead_time(
    submitted: DisclosureRequest, olle: User, anna: User, uppsala: Region, time_machine: Any
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)  # Tuesday 2026-11-24
    casework.case_clarification_ask(by=olle, case=case, text="Fråga")
    time_machine.move_to(datetime(2026, 12, 1, 9, tzinfo=UTC))  # five working days later
    casework.case_clarification_answer(by=anna, case=case, text="Svar")
    time_machine.move_to(datetime(2026, 12, 3, 9, tzinfo=UTC))  # two more
    casework.case_decide(by=olle, case=case, kind="approve")
    case.refresh_from_db()
    assert lead_time(case) == 2
    assert working_days_running(case, case.received_at + timedelta(days=1)) == 0
