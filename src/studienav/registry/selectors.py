"""Who may see, edit, publish which study and site: the registry's access rules."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from studienav.core.bulk import ids_subquery
from studienav.core.models import Region, Role
from studienav.core.selectors import (
    AnyUser,
    has_role,
    is_node_office,
    organisations_where,
    regions_where,
)
from studienav.registry.models import (
    PUBLIC_STATES,
    ChangeRequest,
    ChangeStatus,
    Site,
    Study,
    StudyState,
)

STATUS_CHECK_DAYS = 183  # "not confirmed for six months"


def studies_public() -> QuerySet[Study]:
    """What anyone may read: published and completed records that were not merged away."""
    return Study.objects.filter(state__in=PUBLIC_STATES, merged_into__isnull=True)


def _in_regions(regions: QuerySet[Region]) -> Q:
    return Q(lead_region__in=regions) | Q(
        pk__in=Site.objects.filter(region__in=regions).values("study")
    )


def sites_attached(studies: list[Study], *related: str) -> None:
    """Give each study its sites (in the order they were added, with the `related` rows joined)
    as if prefetched, in one query. A `Prefetch` with `select_related` does the same but copies
    its query once per study, which costs more than reading the sites of twenty studies."""
    by_study: dict[int, list[Site]] = {study.pk: [] for study in studies}
    if by_study:
        query = Site.objects.filter(study_id__in=ids_subquery(by_study)).select_related(*related)
        for site in query.order_by("id"):
            by_study[site.study_id].append(site)
    for study in studies:
        if not hasattr(study, "_prefetched_objects_cache"):
            study._prefetched_objects_cache = {}  # type: ignore[attr-defined]
        study._prefetched_objects_cache["sites"] = by_study[study.pk]  # type: ignore[attr-defined]


def studies_coordinated_by(user: AnyUser) -> QuerySet[Study]:
    """Studies led from, or with a site in, a region the person coordinates."""
    if is_node_office(user):
        return Study.objects.filter(merged_into__isnull=True)
    regions = regions_where(user, Role.NODE_COORDINATOR)
    return Study.objects.filter(_in_regions(regions), merged_into__isnull=True)


def studies_visible_to(user: AnyUser) -> QuerySet[Study]:
    """Public records for everyone; drafts for their editors, coordinators and node office."""
    if not user.is_authenticated:
        return studies_public()
    if is_node_office(user):
        return Study.objects.all()
    own = Q(created_by=user) | Q(
        pk__in=Study.editors.through.objects.filter(user=user).values("study")
    )
    coordinated = _in_regions(regions_where(user, Role.NODE_COORDINATOR))
    at_my_sites = Q(
        pk__in=Site.objects.filter(
            organisation__in=organisations_where(user, Role.SITE_STAFF, Role.RESEARCHER)
        ).values("study")
    )
    public = Q(state__in=PUBLIC_STATES, merged_into__isnull=True)
    return Study.objects.filter(public | own | coordinated | at_my_sites)


def studies_editable_by(user: AnyUser) -> QuerySet[Study]:
    """Records the person may change: their own (changes to published ones need approval)."""
    if not user.is_authenticated:
        return Study.objects.none()
    if is_node_office(user):
        return Study.objects.filter(merged_into__isnull=True)
    own = Q(created_by=user) | Q(
        pk__in=Study.editors.through.objects.filter(user=user).values("study")
    )
    coordinated = _in_regions(regions_where(user, Role.NODE_COORDINATOR))
    return Study.objects.filter(own | coordinated, merged_into__isnull=True).exclude(
        state=StudyState.ARCHIVED
    )


def can_review(user: AnyUser, study: Study) -> bool:
    """Node office, or a node coordinator of one of the study's regions."""
    if not user.is_authenticated:
        return False
    return studies_coordinated_by(user).filter(pk=study.pk).exists()


def can_edit_directly(user: AnyUser, study: Study) -> bool:
    """Changes apply at once for reviewers, and for editors while the record is not public."""
    if can_review(user, study):
        return True
    return not study.is_public and studies_editable_by(user).filter(pk=study.pk).exists()


def can_propose_changes(user: AnyUser, study: Study, site: Site | None = None) -> bool:
    """Editors of a published record propose changes for its coordinator to approve, and a
    site's staff changes to the site's details; reviewers change it at once instead."""
    if not study.is_public or can_review(user, study):
        return False
    if studies_editable_by(user).filter(pk=study.pk).exists():
        return True
    return site is not None and sites_manageable_by(user).filter(pk=site.pk).exists()


def can_create_studies(user: AnyUser) -> bool:
    return has_role(
        user, Role.RESEARCHER, Role.NODE_COORDINATOR, Role.NODE_OFFICE, Role.ADMINISTRATOR
    )


def sites_manageable_by(user: AnyUser) -> QuerySet[Site]:
    """Sites whose recruitment status and enrolment the person keeps current."""
    if not user.is_authenticated:
        return Site.objects.none()
    if is_node_office(user):
        return Site.objects.all()
    organisations = organisations_where(user, Role.SITE_STAFF)
    return Site.objects.filter(
        Q(organisation__in=organisations)
        | Q(organisation__parent__in=organisations)
        | Q(region__in=regions_where(user, Role.NODE_COORDINATOR))
        | Q(study__in=studies_editable_by(user))
    )


def review_queue(user: AnyUser) -> QuerySet[Study]:
    """Submitted records and pending changes waiting for this coordinator."""
    pending = ChangeRequest.objects.filter(status=ChangeStatus.PENDING).values("study")
    return (
        studies_coordinated_by(user)
        .filter(Q(state=StudyState.SUBMITTED) | Q(pk__in=pending))
        .select_related("lead_region")
        .order_by("updated_at")
    )


def studies_needing_attention(user: AnyUser) -> QuerySet[Study]:
    """Public records whose status nobody has confirmed for six months, and records with
    parts an import could not understand that nobody has checked yet."""
    cutoff = timezone.now() - timedelta(days=STATUS_CHECK_DAYS)
    unconfirmed = Q(state__in=PUBLIC_STATES) & (
        Q(status_confirmed_at__lt=cutoff) | Q(status_confirmed_at__isnull=True)
    )
    return (
        studies_coordinated_by(user)
        .filter(unconfirmed | Q(import_notes_open__gt=0))
        .order_by("-import_notes_open", "status_confirmed_at")
    )


def pending_change(study: Study) -> ChangeRequest | None:
    return study.change_requests.filter(status=ChangeStatus.PENDING).first()


def study_regions(study: Study) -> QuerySet[Region]:
    """The lead region and every region with a site."""
    return Region.objects.filter(
        Q(pk=study.lead_region_id) | Q(pk__in=study.sites.values("region"))
    ).distinct()
