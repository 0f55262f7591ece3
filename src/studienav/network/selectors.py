"""Reads of network activity, scoped to what the person asking may see."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from studienav.core.models import Role
from studienav.core.selectors import AnyUser, active_roles, has_role, is_node_office
from studienav.network.models import (
    ACTIVE_STATES,
    SEAT_STATES,
    Certificate,
    CourseSession,
    Document,
    Meeting,
    Network,
    NetworkMember,
    Registration,
    RegistrationState,
    Visibility,
)

# Trainings -----------------------------------------------------------------------------------


def sessions_upcoming() -> QuerySet[CourseSession]:
    """Sessions open to the public calendar: not cancelled, not yet ended."""
    return (
        CourseSession.objects.filter(is_cancelled=False, ends_at__gte=timezone.now())
        .select_related("course", "region")
        .annotate(
            taken=Count("registrations", filter=Q(registrations__state__in=SEAT_STATES)),
            waiting=Count(
                "registrations", filter=Q(registrations__state=RegistrationState.WAITING)
            ),
        )
        .order_by("starts_at", "id")
    )


def session_public(pk: int) -> CourseSession | None:
    return CourseSession.objects.select_related("course", "region").filter(pk=pk).first()


def seats_taken(session: CourseSession) -> int:
    return session.registrations.filter(state__in=SEAT_STATES).count()


def waiting_list(session: CourseSession) -> QuerySet[Registration]:
    """The waiting list in order: first registered moves up first."""
    return session.registrations.filter(state=RegistrationState.WAITING).order_by(
        "registered_at", "id"
    )


def waiting_position(registration: Registration) -> int | None:
    """1 for the next person to move up; None if the registration is not waiting."""
    if registration.state != RegistrationState.WAITING:
        return None
    ahead = waiting_list(registration.session).filter(
        Q(registered_at__lt=registration.registered_at)
        | Q(registered_at=registration.registered_at, id__lt=registration.pk)
    )
    return ahead.count() + 1


def can_lead_courses(user: AnyUser) -> bool:
    return has_role(user, Role.COURSE_LEADER, Role.NODE_OFFICE, Role.ADMINISTRATOR)


def sessions_managed_by(user: AnyUser) -> QuerySet[CourseSession]:
    """Node office manages every session; a course leader the sessions they lead."""
    sessions = CourseSession.objects.select_related("course", "leader", "region")
    if is_node_office(user):
        return sessions
    if not user.is_authenticated or not has_role(user, Role.COURSE_LEADER):
        return sessions.none()
    return sessions.filter(leader=user)


def active_registration(session: CourseSession, email: str) -> Registration | None:
    return session.registrations.filter(state__in=ACTIVE_STATES, email__iexact=email).first()


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate with this code, typed with or without dashes, in any case."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(cleaned) != 12:
        return None
    formatted = f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"
    return (
        Certificate.objects.select_related("registration__session__course")
        .filter(code=formatted)
        .first()
    )


# Networks ------------------------------------------------------------------------------------


def networks_visible_to(user: AnyUser) -> QuerySet[Network]:
    """Node office sees every network; anyone else the networks they are a current member of."""
    if is_node_office(user):
        return Network.objects.all()
    if not user.is_authenticated:
        return Network.objects.none()
    mine = NetworkMember.objects.filter(
        Q(user=user) | Q(email__iexact=user.email),
        left_on__isnull=True,
    )
    return Network.objects.filter(members__in=mine).distinct()


def meetings_visible_to(user: AnyUser) -> QuerySet[Meeting]:
    return Meeting.objects.filter(network__in=networks_visible_to(user)).select_related("network")


def can_manage_networks(user: AnyUser) -> bool:
    return is_node_office(user)


# Document library ----------------------------------------------------------------------------


def documents_public() -> QuerySet[Document]:
    return Document.objects.filter(visibility=Visibility.PUBLIC).prefetch_related("versions")


def documents_visible_to(user: AnyUser) -> QuerySet[Document]:
    """Public documents for everyone; every document for staff (anyone holding a role); a
    staff document attached to a meeting also for that network's members."""
    documents = Document.objects.select_related("owner")
    if not user.is_authenticated:
        return documents.filter(visibility=Visibility.PUBLIC)
    if user.is_superuser or active_roles(user).exists():
        return documents
    return documents.filter(
        Q(visibility=Visibility.PUBLIC) | Q(meetings__in=meetings_visible_to(user))
    ).distinct()


def can_manage_documents(user: AnyUser) -> bool:
    return is_node_office(user)
