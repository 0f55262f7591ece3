"""Reminders that `studienav send-reminders` sends for yearly follow-up reports."""

from __future__ import annotations

from studienav.funding.services import reminders_send

__all__ = ["reminders_send"]
