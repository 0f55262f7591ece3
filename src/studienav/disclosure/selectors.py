"""Who may see which disclosure request, region case, assessment, note and file.

- The requester sees their own requests (drafts too), every region's status, the
  clarification threads, decisions and deliveries; never assessments or common notes.
- A region's disclosure officers see submitted requests naming their region, and of those
  their own region's case in full, with its internal secrecy assessment.
- Node office sees every submitted request and every region's status, the clarification
  threads, decisions and deliveries, and keeps the common notes; never a region's assessment.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from studienav.core.models import Region, Role, RoleAssignment
from studienav.core.selectors import AnyUser, is_node_office
from studienav.disclosure.models import (
    CommonNote,
    DisclosureRequest,
    RegionCase,
    RequestState,
    SecrecyAssessment,
)


def officer_regions(user: AnyUser) -> QuerySet[Region]:
    """Regions for which the person is a disclosure officer. Unlike core's `regions_where`,
    node office holds none: a region's secrecy assessment stays inside the region."""
    if not user.is_authenticated:
        return Region.objects.none()
    held = RoleAssignment.objects.active().filter(user=user, role=Role.DISCLOSURE_OFFICER)
    return Region.objects.filter(pk__in=held.values("region"))


def is_requester_of(user: AnyUser, request: DisclosureRequest) -> bool:
    return user.is_authenticated and request.requester_id == user.pk


def requests_visible_to(user: AnyUser) -> QuerySet[DisclosureRequest]:
    """Own requests; submitted requests naming the officer's regions; all submitted ones for
    node office."""
    if not user.is_authenticated:
        return DisclosureRequest.objects.none()
    own = Q(requester=user)
    submitted = Q(state=RequestState.SUBMITTED)
    if is_node_office(user):
        return DisclosureRequest.objects.filter(own | submitted)
    named = Q(pk__in=RegionCase.objects.filter(region__in=officer_regions(user)).values("request"))
    return DisclosureRequest.objects.filter(own | (submitted & named))


def cases_visible_to(user: AnyUser) -> QuerySet[RegionCase]:
    """Cases whose status the person may read: the requester's, the officer's region's, and
    every case for node office."""
    cases = RegionCase.objects.select_related("region", "request", "handler")
    if not user.is_authenticated:
        return cases.none()
    if is_node_office(user):
        return cases
    return cases.filter(Q(request__requester=user) | Q(region__in=officer_regions(user)))


def cases_handled_by(user: AnyUser) -> QuerySet[RegionCase]:
    """Cases of the regions where the person is a disclosure officer."""
    return RegionCase.objects.filter(region__in=officer_regions(user)).select_related(
        "region", "request", "handler"
    )


def can_handle(user: AnyUser, case: RegionCase) -> bool:
    """Only the case's own region's disclosure officers work on it and read its assessment."""
    return officer_regions(user).filter(pk=case.region_id).exists()


def assessments_visible_to(user: AnyUser, case: RegionCase) -> QuerySet[SecrecyAssessment]:
    if not can_handle(user, case):
        return SecrecyAssessment.objects.none()
    return case.assessments.select_related("assessed_by")


def can_keep_common_notes(user: AnyUser) -> bool:
    return is_node_office(user)


def common_notes_visible_to(user: AnyUser, request: DisclosureRequest) -> QuerySet[CommonNote]:
    """Node office, and the officers of the request's regions; never the requester."""
    notes = request.common_notes.select_related("author", "region")
    if is_node_office(user):
        return notes
    if request.cases.filter(region__in=officer_regions(user)).exists():
        return notes
    return notes.none()
