"""What waits in participation for a coordinator, for core's staff dashboard."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from studienav.core.models import Role, User
from studienav.core.selectors import has_role
from studienav.participation.models import InterestStatus, ReferralStatus
from studienav.participation.selectors import queue_for, referrals_to_decide, tasks_due


def dashboard_panels(user: User) -> list[dict[str, Any]]:
    """New registrations of interest, tasks due, and referrals waiting for a decision."""
    if not has_role(user, Role.NODE_COORDINATOR, Role.NODE_OFFICE, Role.ADMINISTRATOR):
        return []
    queue_url = reverse("participation:queue")
    return [
        {
            "title": _("Registrations of interest"),
            "count": queue_for(user, status=InterestStatus.NEW).count(),
            "label": _("new, not yet contacted; %(due)s with tasks due") % {"due": tasks_due(user)},
            "url": queue_url + "?status=new",
            "link_text": _("Open the queue"),
        },
        {
            "title": _("Referrals"),
            "count": referrals_to_decide(user).filter(status=ReferralStatus.PENDING).count(),
            "label": _("referred to your region, waiting for your decision"),
            "url": reverse("participation:referrals"),
            "link_text": _("Open the referrals"),
        },
    ]
