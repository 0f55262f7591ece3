"""The site's own pages for the public: for sponsors and researchers, about the node and its
regions, the privacy notice and the accessibility statement."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from studienav.core.models import Region, RegionalNode
from studienav.core.selectors import current_node, node_regions, regions_sorted
from studienav.core.services import INVITATION_DAYS
from studienav.participation.services import UNCONFIRMED_DAYS, retention_months

# When the accessibility statement was last assessed and updated: the law asks for both dates
# (DIGG's regulation MDFFS 2019:2); change them whenever the statement changes.
ACCESSIBILITY_ASSESSED = datetime.date(2026, 12, 4)
ACCESSIBILITY_UPDATED = datetime.date(2026, 12, 4)
# Where people report a public body's inaccessible site to the supervisory authority.
DIGG_REPORT_URL = "https://www.digg.se/tdosanmalan"
# Where people complain about how their personal data is processed.
IMY_URL = "https://www.imy.se/"


@dataclass(frozen=True)
class RegionContact:
    """A region of the node and its local contact's role address (empty: not configured)."""

    region: Region
    email: str


def _contacts() -> dict[str, Any]:
    """The public body and the role addresses the pages name: only what the settings say."""
    node = current_node()
    return {
        "site_owner": settings.SITE_OWNER,
        # The accessibility statement must name someone: the node, until the body is set.
        "owner_name": settings.SITE_OWNER or (node.name if node is not None else "studienav"),
        "contact_email": settings.CONTACT_EMAIL,
    }


def _healthcare_region_name() -> str:
    node = current_node()
    if node is None:
        return ""
    area = node.healthcare_region
    return area.name_en if get_language() == "en" else area.name


@require_GET
def sponsors(request: HttpRequest) -> HttpResponse:
    """What a study request is, what the node does with it, and how to get an account."""
    context = {**_contacts(), "invitation_days": INVITATION_DAYS}
    return render(request, "portal/pages/sponsors.html", context)


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """The node, its regions from the reference data, and each region's local contact."""
    regions = [
        RegionContact(region=region, email=settings.REGION_CONTACTS.get(region.code, ""))
        for region in regions_sorted(node_regions())
    ]
    context = {
        **_contacts(),
        "healthcare_region_name": _healthcare_region_name(),
        "node_count": RegionalNode.objects.count(),
        "regions": regions,
    }
    return render(request, "portal/pages/about.html", context)


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """What personal data the site processes, why, for how long, and the person's rights."""
    context = {
        **_contacts(),
        "dpo_email": settings.DATA_PROTECTION_OFFICER_EMAIL,
        "retention_months": retention_months(),
        "unconfirmed_days": UNCONFIRMED_DAYS,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "imy_url": IMY_URL,
    }
    return render(request, "portal/pages/privacy.html", context)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, in the structure DIGG prescribes."""
    context = {
        **_contacts(),
        "assessed": ACCESSIBILITY_ASSESSED,
        "updated": ACCESSIBILITY_UPDATED,
        "digg_report_url": DIGG_REPORT_URL,
    }
    return render(request, "portal/pages/accessibility.html", context)
