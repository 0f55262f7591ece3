"""What waits in network activity for the person signed in, for core's staff dashboard."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.models import User
from studienav.network.models import ActionItem, Document, RegistrationState
from studienav.network.selectors import (
    can_lead_courses,
    can_manage_documents,
    networks_visible_to,
    sessions_managed_by,
)


def dashboard_panels(user: User) -> list[dict[str, Any]]:
    """Sessions to mark, open actions, documents due for review."""
    panels: list[dict[str, Any]] = []
    today = timezone.localdate()
    if can_lead_courses(user):
        to_mark = (
            sessions_managed_by(user)
            .filter(
                starts_at__date__lte=today,
                is_cancelled=False,
                registrations__state=RegistrationState.CONFIRMED,
            )
            .distinct()
        )
        panels.append(
            {
                "title": _("Course sessions"),
                "count": to_mark.count(),
                "label": _("held, with attendance still to mark"),
                "url": reverse("network:sessions"),
                "link_text": _("Open the sessions"),
            }
        )
    actions = ActionItem.objects.filter(
        Q(owner__user=user) | Q(owner__email__iexact=user.email),
        meeting__network__in=networks_visible_to(user),
        done_on__isnull=True,
    )
    if actions.exists():
        panels.append(
            {
                "title": _("Network actions"),
                "count": actions.count(),
                "label": _("open actions that you own"),
                "url": reverse("network:home"),
                "link_text": _("See the actions"),
            }
        )
    if can_manage_documents(user):
        panels.append(
            {
                "title": _("Document library"),
                "count": Document.objects.filter(review_on__lt=today).count(),
                "label": _("documents past their review date"),
                "url": reverse("network:library"),
                "link_text": _("Open the library"),
            }
        )
    return panels
