"""Reads of core data, scoped to what the person asking may see. Access rules live here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from studienav.core.collation import swedish_sort_key
from studienav.core.models import (
    AuditEvent,
    Invitation,
    Organisation,
    Region,
    RegionalNode,
    Role,
    RoleAssignment,
    User,
)

AnyUser = User | AnonymousUser


def current_node() -> RegionalNode | None:
    """The regional node this installation serves (STUDIENAV_NODE)."""
    return RegionalNode.objects.filter(slug=settings.STUDIENAV_NODE).first()


def node_regions() -> QuerySet[Region]:
    return Region.objects.filter(node__slug=settings.STUDIENAV_NODE).order_by("code")


def regions_sorted(regions: QuerySet[Region]) -> list[Region]:
    return sorted(regions, key=lambda r: swedish_sort_key(r.short_name))


def active_roles(user: AnyUser) -> QuerySet[RoleAssignment]:
    if not user.is_authenticated:
        return RoleAssignment.objects.none()
    return (
        RoleAssignment.objects.active().filter(user=user).select_related("region", "organisation")
    )


def has_role(user: AnyUser, *roles: Role) -> bool:
    return active_roles(user).filter(role__in=roles).exists()


def is_node_office(user: AnyUser) -> bool:
    return has_role(user, Role.NODE_OFFICE, Role.ADMINISTRATOR)


def regions_where(user: AnyUser, role: Role) -> QuerySet[Region]:
    """Regions in which the person holds `role`. Node office holds every role node-wide."""
    if is_node_office(user):
        return node_regions()
    return Region.objects.filter(
        roleassignment__user=user if user.is_authenticated else None,
        roleassignment__role=role,
        roleassignment__revoked_at__isnull=True,
    ).distinct()


def organisations_where(user: AnyUser, *roles: Role) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        roleassignment__user=user,
        roleassignment__role__in=roles,
        roleassignment__revoked_at__isnull=True,
    ).distinct()


def needs_second_factor(user: AnyUser) -> bool:
    """Every account with a role or with admin rights must pass TOTP (unless turned off)."""
    if not settings.REQUIRE_TOTP or not user.is_authenticated:
        return False
    return bool(user.is_superuser or active_roles(user).exists())


def can_manage_people(user: AnyUser) -> bool:
    return is_node_office(user)


def users_visible_to(user: AnyUser) -> QuerySet[User]:
    """Node office sees everyone; coordinators see the people holding roles in their regions."""
    if is_node_office(user):
        return User.objects.all()
    regions = regions_where(user, Role.NODE_COORDINATOR)
    if not user.is_authenticated or not regions.exists():
        return User.objects.none()
    in_region = Q(
        roles__revoked_at__isnull=True,
    ) & (Q(roles__region__in=regions) | Q(roles__organisation__region__in=regions))
    return User.objects.filter(in_region).distinct()


def invitations_visible_to(user: AnyUser) -> QuerySet[Invitation]:
    if not can_manage_people(user):
        return Invitation.objects.none()
    return Invitation.objects.select_related("region", "organisation", "invited_by")


def audit_events_visible_to(user: AnyUser) -> QuerySet[AuditEvent]:
    """The full trail is for node office; capabilities add narrower views of their own objects."""
    if not is_node_office(user):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor")


def organisations_search(
    *, query: str = "", region: Region | None = None
) -> QuerySet[Organisation]:
    organisations = Organisation.objects.select_related("region", "municipality", "parent")
    if region is not None:
        organisations = organisations.filter(region=region)
    for word in query.split():
        organisations = organisations.filter(
            Q(name__icontains=word) | Q(name_en__icontains=word) | Q(city__icontains=word)
        )
    return organisations


def dashboard_summary(user: User) -> dict[str, Any]:
    """What waits for the person, per role they hold. Capabilities add their own counts."""
    summary: dict[str, Any] = {"roles": list(active_roles(user))}
    if can_manage_people(user):
        summary["open_invitations"] = Invitation.objects.filter(
            accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
        summary["people"] = User.objects.filter(is_active=True).count()
        summary["organisations_to_review"] = Organisation.objects.filter(needs_review=True).count()
    coordinated = regions_where(user, Role.NODE_COORDINATOR)
    if coordinated.exists():
        summary["coordinated_regions"] = regions_sorted(coordinated)
        summary["region_organisations_to_review"] = Organisation.objects.filter(
            needs_review=True, region__in=coordinated
        ).count()
    return summary
