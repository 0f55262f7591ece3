"""What waits in the registry for the person signed in, for core's staff dashboard."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from studienav.core.models import Role, User
from studienav.core.selectors import has_role
from studienav.registry.models import Study
from studienav.registry.selectors import (
    review_queue,
    studies_needing_attention,
)


def dashboard_panels(user: User) -> list[dict[str, Any]]:
    """Panels with a title, a count and a link: own studies, the review queue, needs attention."""
    panels: list[dict[str, Any]] = []
    if has_role(user, Role.RESEARCHER, Role.NODE_COORDINATOR, Role.NODE_OFFICE):
        own = Study.objects.filter(
            Q(created_by=user) | Q(editors=user), merged_into__isnull=True
        ).distinct()
        panels.append(
            {
                "title": _("My studies"),
                "count": own.count(),
                "label": _("studies you edit"),
                "url": reverse("registry:studies"),
                "link_text": _("Open my studies"),
            }
        )
    if has_role(user, Role.NODE_COORDINATOR, Role.NODE_OFFICE, Role.ADMINISTRATOR):
        queue_url = reverse("registry:queue")
        panels.append(
            {
                "title": _("Waiting for review"),
                "count": review_queue(user).count(),
                "label": _("submitted records and pending changes"),
                "url": queue_url,
                "link_text": _("Open the review queue"),
            }
        )
        panels.append(
            {
                "title": _("Needs attention"),
                "count": studies_needing_attention(user).count(),
                "label": _("status not confirmed for six months"),
                "url": queue_url + "#attention-heading",
                "link_text": _("See which studies"),
            }
        )
    return panels
