"""What waits in the running of the node, for core's staff dashboard: e-mail and jobs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from studienav.core.jobs import jobs_overdue
from studienav.core.models import Role, User
from studienav.core.outbox import outbox_stuck, outbox_unsent
from studienav.core.selectors import has_role


def dashboard_panels(user: User) -> list[dict[str, Any]]:
    """Unsent and stuck e-mail, and late jobs: for administrators and node office."""
    if not has_role(user, Role.ADMINISTRATOR, Role.NODE_OFFICE):
        return []
    return [
        {
            "title": _("E-mail outbox"),
            "count": outbox_stuck().count(),
            "label": _("stuck; %(unsent)s not yet sent in all")
            % {"unsent": outbox_unsent().count()},
            "url": reverse("core:outbox"),
            "link_text": _("Open the outbox"),
        },
        {
            "title": _("Scheduled jobs"),
            "count": len(jobs_overdue()),
            "label": _("overdue"),
            "url": reverse("core:jobs"),
            "link_text": _("Open the jobs"),
        },
    ]
