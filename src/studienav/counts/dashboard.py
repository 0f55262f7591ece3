"""What waits in patient counts for the person signed in, for core's staff dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.models import User
from studienav.counts.models import AnswerStatus, CountQuestion, RegionAnswer
from studienav.counts.selectors import can_build, officer_regions, questions_visible_to


def dashboard_panels(user: User) -> list[dict[str, Any]]:
    """Questions still waiting for regions; for disclosure officers, today's questions."""
    panels: list[dict[str, Any]] = []
    if can_build(user):
        waiting = RegionAnswer.objects.filter(
            question__in=questions_visible_to(user).filter(asked_by=user),
            status=AnswerStatus.WAITING,
        ).count()
        panels.append(
            {
                "title": _("Patient counts"),
                "count": waiting,
                "label": _("region answers still waiting"),
                "url": reverse("counts:index"),
                "link_text": _("Open patient counts"),
            }
        )
    regions = officer_regions(user)
    if regions.exists():
        since = timezone.now() - timedelta(days=1)
        asked = CountQuestion.objects.filter(region__in=regions, asked_at__gte=since).count()
        panels.append(
            {
                "title": _("Count questions to your regions"),
                "count": asked,
                "label": _("asked in the last 24 hours"),
                "url": reverse("counts:log"),
                "link_text": _("Review the question log"),
            }
        )
    return panels
