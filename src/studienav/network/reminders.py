"""Reminders that `studienav send-reminders` sends for network activity: coming sessions,
GCP certificates about to run out, documents whose review date has passed."""

from __future__ import annotations

from studienav.network.library import review_reminders_send
from studienav.network.services import certificate_expiry_reminders_send, session_reminders_send


def reminders_send() -> int:
    """Every network reminder that is due; each is sent once."""
    return session_reminders_send() + certificate_expiry_reminders_send() + review_reminders_send()
