"""Who may see which registration of interest and referral: the participation access rules."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from studienav.core.models import AccessLogEntry, Region, Role, User
from studienav.core.selectors import AnyUser, regions_where
from studienav.participation.models import (
    Consent,
    ExpressionOfInterest,
    InterestStatus,
    Referral,
)
from studienav.registry.models import Site, Study


def coordinator_regions(user: AnyUser) -> QuerySet[Region]:
    return regions_where(user, Role.NODE_COORDINATOR)


def interests_visible_to(user: AnyUser) -> QuerySet[ExpressionOfInterest]:
    """Confirmed registrations (or phone-only ones awaiting a call) that the person follows up.

    Coordinators of the person's region; for interest in one study also the coordinators of
    the study's regions (lead region and regions with a site).
    """
    if not user.is_authenticated:
        return ExpressionOfInterest.objects.none()
    regions = coordinator_regions(user)
    study_in_regions = Study.objects.filter(
        Q(lead_region__in=regions)
        | Q(pk__in=Site.objects.filter(region__in=regions).values("study"))
    )
    return (
        ExpressionOfInterest.objects.filter(erased_at__isnull=True, withdrawn_at__isnull=True)
        .filter(Q(confirmed_at__isnull=False) | Q(email_hash=""))
        .filter(Q(region__in=regions) | Q(kind="study", study__in=study_in_regions))
        .select_related("region", "study", "municipality")
    )


def queue_for(user: AnyUser, *, status: str = "") -> QuerySet[ExpressionOfInterest]:
    interests = interests_visible_to(user)
    if status:
        interests = interests.filter(status=status)
    return interests.order_by("created_at")


def interests_of_person(
    *, email_hash: str = "", identity_hash: str = ""
) -> QuerySet[ExpressionOfInterest]:
    """A signed-in member of the public's own registrations, found by keyed hash."""
    condition = Q(pk__in=[])
    if email_hash:
        condition |= Q(email_hash=email_hash)
    if identity_hash:
        condition |= Q(identity_hash=identity_hash)
    return ExpressionOfInterest.objects.filter(condition, erased_at__isnull=True).order_by(
        "-created_at"
    )


def current_consent(interest: ExpressionOfInterest) -> Consent | None:
    return interest.consents.select_related("text").order_by("-given_at").first()


def may_contact(interest: ExpressionOfInterest) -> bool:
    """Whether e-mails may go to the person: confirmed, valid consent, not withdrawn."""
    consent = current_consent(interest)
    return bool(
        interest.is_active
        and interest.email
        and consent is not None
        and consent.is_valid
        and interest.status != InterestStatus.WITHDRAWN
    )


def referrals_visible_to(user: AnyUser) -> QuerySet[Referral]:
    """Referrals from or to a region the person coordinates."""
    regions = coordinator_regions(user)
    return Referral.objects.filter(
        Q(from_region__in=regions) | Q(to_region__in=regions)
    ).select_related("site__organisation", "site__study", "from_region", "to_region", "interest")


def referrals_to_decide(user: AnyUser) -> QuerySet[Referral]:
    return referrals_visible_to(user).filter(to_region__in=coordinator_regions(user))


def access_log_of(interest: ExpressionOfInterest) -> QuerySet[AccessLogEntry]:
    """Who among staff read the person's data, when and why (shown to the person)."""
    return AccessLogEntry.objects.filter(
        subject_type="participation.expressionofinterest", subject_id=str(interest.pk)
    ).order_by("-accessed_at")


def coordinators_of(region: Region) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        roles__role=Role.NODE_COORDINATOR,
        roles__region=region,
        roles__revoked_at__isnull=True,
    ).distinct()


def tasks_due(user: AnyUser) -> int:
    return (
        interests_visible_to(user)
        .filter(tasks__done_at__isnull=True, tasks__due_on__lte=timezone.localdate())
        .distinct()
        .count()
    )
