"""Reminders: one per recipient per threshold, only to those who have not answered."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core import mail
from django.core.management import call_command

from studienav.feasibility import services
from studienav.feasibility.models import AnswerChannel, Recipient, Reminder


def test_reminders_are_sent_once_per_threshold(
    asked: list[Recipient], time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Deadline 2026-12-18: nothing due three weeks before.
    assert services.reminders_send(today=date(2026, 11, 27)) == 0
    services.answer_submit(
        recipient=asked[0], by=None, channel=AnswerChannel.LINK, is_interested=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(today=date(2026, 12, 11)) == 1
        assert services.reminders_send(today=date(2026, 12, 12)) == 0
        assert services.reminders_send(today=date(2026, 12, 16)) == 1
        assert services.reminders_send(today=date(2026, 12, 17)) == 0
    assert list(
        Reminder.objects.order_by("sent_at").values_list("recipient__email", "days_before_deadline")
    ) == [("kardio@test.example", 7), ("kardio@test.example", 2)]
    assert [m.to for m in mail.outbox] == [["kardio@test.example"]] * 2
    assert "X-123" not in mail.outbox[0].body


def test_command_is_idempotent(asked: list[Recipient], time_machine: Any) -> None:
    time_machine.move_to("2026-12-15 10:00+01:00")
    call_command("send_reminders")
    call_command("send_reminders")
    assert Reminder.objects.count() == 2  # both recipients, threshold 7, once each
