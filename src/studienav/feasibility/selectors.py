"""Who may see which study request, region part, recipient and attachment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from studienav.core.models import Organisation, Region, Role
from studienav.core.selectors import (
    AnyUser,
    is_node_office,
    organisations_where,
    regions_where,
)
from studienav.feasibility.models import Recipient, RegionPart, StudyRequest
from studienav.registry.models import Site, SiteStatus


def is_sponsor_of(user: AnyUser, request: StudyRequest) -> bool:
    return (
        organisations_where(user, Role.SPONSOR).filter(pk=request.sponsor_organisation_id).exists()
    )


def coordinated_regions(user: AnyUser) -> QuerySet[Region]:
    """Regions whose parts the person compiles: their own as coordinator, all for node office."""
    return regions_where(user, Role.NODE_COORDINATOR)


def requests_visible_to(user: AnyUser) -> QuerySet[StudyRequest]:
    """Node office all; sponsors their organisation's; coordinators forwarded to their regions;
    recipients the requests they were asked to answer."""
    if not user.is_authenticated:
        return StudyRequest.objects.none()
    if is_node_office(user):
        return StudyRequest.objects.all()
    sponsor = Q(sponsor_organisation__in=organisations_where(user, Role.SPONSOR))
    regions = regions_where(user, Role.NODE_COORDINATOR)
    coordinated = Q(pk__in=RegionPart.objects.filter(region__in=regions).values("request"))
    asked = Q(pk__in=RegionPart.objects.filter(recipients__user=user).values("request"))
    return StudyRequest.objects.filter(sponsor | coordinated | asked)


def requests_of_sponsor(user: AnyUser) -> QuerySet[StudyRequest]:
    return StudyRequest.objects.filter(
        sponsor_organisation__in=organisations_where(user, Role.SPONSOR)
    )


def parts_visible_to(user: AnyUser, request: StudyRequest) -> QuerySet[RegionPart]:
    """Every part for node office and the sponsor (status per region); own regions otherwise."""
    parts = request.parts.select_related("region", "request")
    if is_node_office(user) or is_sponsor_of(user, request):
        return parts
    return parts.filter(region__in=regions_where(user, Role.NODE_COORDINATOR))


def parts_coordinated_by(user: AnyUser) -> QuerySet[RegionPart]:
    if not user.is_authenticated:
        return RegionPart.objects.none()
    return RegionPart.objects.filter(
        region__in=regions_where(user, Role.NODE_COORDINATOR)
    ).select_related("region", "request")


def recipients_visible_to(user: AnyUser, request: StudyRequest) -> QuerySet[Recipient]:
    """Recipients with their answers: coordinators of the region and node office see them;
    a recipient sees only themself; the sponsor sees the compiled answer, not the clinics."""
    recipients = Recipient.objects.filter(part__request=request).select_related(
        "part__region", "organisation", "answer"
    )
    if is_node_office(user):
        return recipients
    if not user.is_authenticated:
        return recipients.none()
    regions = regions_where(user, Role.NODE_COORDINATOR)
    return recipients.filter(Q(part__region__in=regions) | Q(user=user))


def recipients_of(user: AnyUser) -> QuerySet[Recipient]:
    """The requests the person was asked to answer, as recipient."""
    if not user.is_authenticated:
        return Recipient.objects.none()
    return Recipient.objects.filter(user=user).select_related("part__request", "answer")


def can_manage_requests(user: AnyUser) -> bool:
    """Node office registers, forwards, sends answers and records outcomes."""
    return is_node_office(user)


def can_coordinate(user: AnyUser, part: RegionPart) -> bool:
    return regions_where(user, Role.NODE_COORDINATOR).filter(pk=part.region_id).exists()


@dataclass(frozen=True)
class Suggestion:
    """A clinic (and investigator) the registry suggests asking, with the reasons why."""

    organisation: Organisation
    investigator: str
    email: str
    earlier_studies: int
    competing_now: int


def recipient_suggestions(request: StudyRequest, region: Region) -> list[Suggestion]:
    """Clinics in the region that ran studies in this therapeutic area or phase before (registry
    sites), best match first, with how many studies in the area they recruit for right now."""
    sites = Site.objects.filter(region=region).select_related("study", "organisation")
    matching = sites.filter(
        Q(study__therapeutic_area=request.therapeutic_area) | Q(study__phase=request.phase),
        study__merged_into__isnull=True,
    )
    found: dict[int, dict[str, Any]] = {}
    for site in matching.order_by("-updated_at"):
        entry = found.setdefault(
            site.organisation_id,
            {
                "organisation": site.organisation,
                "investigator": "",
                "email": "",
                "score": 0,
                "count": 0,
            },
        )
        same_area = site.study.therapeutic_area == request.therapeutic_area
        entry["count"] += 1
        entry["score"] += 2 if same_area and site.study.phase == request.phase else 1
        if not entry["email"] and (site.contact_email or site.principal_investigator):
            entry["investigator"] = site.principal_investigator or site.contact_name
            entry["email"] = site.contact_email
    competing = dict(
        sites.filter(
            organisation_id__in=found,
            study__therapeutic_area=request.therapeutic_area,
            recruitment_status__in=[SiteStatus.RECRUITING, SiteStatus.BY_INVITATION],
        )
        .values_list("organisation_id")
        .annotate(n=Count("id"))
    )
    ranked = sorted(found.items(), key=lambda kv: (-kv[1]["score"], kv[1]["organisation"].name))
    return [
        Suggestion(
            organisation=entry["organisation"],
            investigator=entry["investigator"],
            email=entry["email"],
            earlier_studies=entry["count"],
            competing_now=competing.get(pk, 0),
        )
        for pk, entry in ranked[:20]
    ]
