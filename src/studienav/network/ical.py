"""The public course calendar as iCalendar (RFC 5545), for calendar programs to subscribe to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from studienav.network.models import CourseSession


def sessions_ical(sessions: Iterable[CourseSession], *, language: str, name: str) -> bytes:
    """A calendar with one event per session: times in UTC, a stable UID per session."""
    calendar = Calendar()
    calendar.add("prodid", "-//studienav//courses//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "studienav"
    stamp = timezone.now().astimezone(UTC)
    for session in sessions:
        event = Event()
        event.add("uid", f"course-session-{session.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at.astimezone(UTC))
        event.add("dtend", session.ends_at.astimezone(UTC))
        event.add("summary", session.course.name_in(language))
        event.add("location", _("Online") if session.is_online else session.place)
        event.add("url", settings.SITE_URL + session.get_absolute_url())
        description = session.course.description_en if language == "en" else ""
        event.add("description", description or session.course.description or session.audience)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
