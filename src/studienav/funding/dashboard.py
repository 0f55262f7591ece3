"""What waits in research funding for the person signed in, for core's staff dashboard."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from studienav.core.models import User
from studienav.funding.models import ApplicationState, Review
from studienav.funding.selectors import (
    applications_of_applicant,
    applications_visible_to,
    assignments_of,
    is_chair,
)


def dashboard_panels(user: User) -> list[dict[str, Any]]:
    """The chair's undecided applications, a reviewer's open reviews, an applicant's drafts."""
    panels: list[dict[str, Any]] = []
    if is_chair(user):
        waiting = applications_visible_to(user).filter(state=ApplicationState.SUBMITTED)
        if waiting.exists():
            panels.append(
                {
                    "title": _("Funding applications"),
                    "count": waiting.count(),
                    "label": _("submitted and not yet decided"),
                    "url": reverse("funding:manage"),
                    "link_text": _("Open the calls"),
                }
            )
    assignments = list(assignments_of(user).filter(application__state=ApplicationState.SUBMITTED))
    submitted = set(
        Review.objects.filter(assignment__reviewer=user, submitted_at__isnull=False).values_list(
            "assignment", flat=True
        )
    )
    open_reviews = [a for a in assignments if a.pk not in submitted]
    if open_reviews:
        panels.append(
            {
                "title": _("Applications to review"),
                "count": len(open_reviews),
                "label": _("waiting for your declaration or scores"),
                "url": reverse("funding:reviews"),
                "link_text": _("Review them"),
            }
        )
    drafts = applications_of_applicant(user).filter(state=ApplicationState.DRAFT)
    if drafts.exists():
        panels.append(
            {
                "title": _("Your funding applications"),
                "count": drafts.count(),
                "label": _("drafts not yet submitted"),
                "url": reverse("funding:my_applications"),
                "link_text": _("Open your applications"),
            }
        )
    return panels
