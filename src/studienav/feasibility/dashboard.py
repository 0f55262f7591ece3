"""What waits in study requests for the person signed in, for core's staff dashboard."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from studienav.core.models import User
from studienav.feasibility.models import OPEN_STATES, RegionPart, RequestState
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
    # A region late for the answer keeps working until it is sent as a supplement.
    still_open = Q(request__state=RequestState.FORWARDED) | Q(
        request__state=RequestState.ANSWERED, sent_at__isnull=True
    )
    waiting_parts = parts_coordinated_by(user).filter(still_open, compiled_at__isnull=True)
    if can_manage_requests(user):
        supplements = RegionPart.objects.filter(
            request__state=RequestState.ANSWERED, sent_at__isnull=True, compiled_at__isnull=False
        )
        if supplements.exists():
            panels.append(
                {
                    "title": _("Late regions compiled"),
                    "count": supplements.count(),
                    "label": _("waiting to be sent to the sponsor as a supplement"),
                    "url": url,
                    "link_text": _("Open the study requests"),
                }
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
        Q(part__request__state=RequestState.FORWARDED)
        | Q(part__request__state=RequestState.ANSWERED, part__sent_at__isnull=True),
        answer__isnull=True,
        part__compiled_at__isnull=True,
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
