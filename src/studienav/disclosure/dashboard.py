"""What waits in health-data disclosure for the person signed in, for the staff dashboard."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from studienav.core.models import User
from studienav.core.selectors import is_node_office
from studienav.disclosure.models import OPEN_CASE_STATES, CaseState, DisclosureRequest
from studienav.disclosure.selectors import cases_handled_by, cases_visible_to
from studienav.disclosure.services import can_request


def dashboard_panels(user: User) -> list[dict[str, Any]]:
    """Open cases of the officer's regions, the questions waiting for a researcher's answer
    (and the way to their requests), and node office's open cases across the node."""
    panels: list[dict[str, Any]] = []
    url = reverse("disclosure:list")
    handled = cases_handled_by(user).filter(state__in=OPEN_CASE_STATES)
    if handled.exists():
        panels.append(
            {
                "title": _("Health-data requests to your region"),
                "count": handled.count(),
                "label": _("open cases, not yet decided"),
                "url": url,
                "link_text": _("Open the cases"),
            }
        )
    waiting = cases_visible_to(user).filter(request__requester=user, state=CaseState.CLARIFICATION)
    own = DisclosureRequest.objects.filter(requester=user)
    if waiting.exists() or own.exists() or can_request(user):
        panels.append(
            {
                "title": _("Your health-data requests"),
                "count": waiting.count(),
                "label": _("questions from regions waiting for your answer"),
                "url": url,
                "link_text": _("See your requests"),
            }
        )
    if is_node_office(user):
        open_cases = cases_visible_to(user).filter(state__in=OPEN_CASE_STATES)
        panels.append(
            {
                "title": _("Health-data disclosure"),
                "count": open_cases.count(),
                "label": _("region cases not yet decided, across the node"),
                "url": reverse("disclosure:overview"),
                "link_text": _("Open the overview"),
            }
        )
    return panels
