"""Reminders that `studienav send-reminders` sends for study requests."""

from __future__ import annotations

from studienav.feasibility.services import reminders_send

__all__ = ["reminders_send"]
