"""What waits in study requests for the person signed in, for core's staff dashboard."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from studienav.core.models import User
from studienav.feasibility.models import OPEN_STATES, RequestState
from studienav.feasibility.selectors import (
    can_manage_requests,
    parts_coordinated_by,
    recipients_of,
    requests_visible_to,
)


def dashboard_panels(user: User) -> list[dict[str, Any]]:
    """Open requests for node office and sponsors, region parts, unanswered requests."""
    panels: list[dict[str, Any]] = []
    url = reverse("feasibility:list")
    visible = requests_visible_to(user)
    if can_manage_requests(user):
        count = visible.filter(
            state__in=[RequestState.RECEIVED, RequestState.CLARIFICATION]
        ).count()
        label = _("received and not yet forwarded")
    else:
        count = visible.filter(state__in=OPEN_STATES).count()
        label = _("open study requests")
    if visible.exists():
        panels.append(
            {
                "title": _("Study requests"),
                "count": count,
                "label": label,
                "url": url,
                "link_text": _("Open the study requests"),
            }
        )
    waiting_parts = parts_coordinated_by(user).filter(
        compiled_at__isnull=True, request__state=RequestState.FORWARDED
    )
    if not can_manage_requests(user) and waiting_parts.exists():
        panels.append(
            {
                "title": _("Requests to your region"),
                "count": waiting_parts.count(),
                "label": _("waiting for recipients or your summary"),
                "url": url,
                "link_text": _("See which requests"),
            }
        )
    unanswered = recipients_of(user).filter(
        answer__isnull=True, part__request__state=RequestState.FORWARDED
    )
    if unanswered.exists():
        panels.append(
            {
                "title": _("Requests for you to answer"),
                "count": unanswered.count(),
                "label": _("waiting for your answer"),
                "url": url,
                "link_text": _("Answer them"),
            }
        )
    return panels
