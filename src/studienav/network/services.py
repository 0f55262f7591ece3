"""Every write of the trainings: sessions, registrations and the waiting list, cancellation by
link, attendance, certificates, evaluations and the reminders of courses and certificates."""

from __future__ import annotations

import secrets
from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
    model_validate,
)
from studienav.core.models import User
from studienav.core.selectors import is_node_office
from studienav.core.services import send_templated_mail
from studienav.network.models import (
    SEAT_STATES,
    Certificate,
    Course,
    CourseSession,
    Evaluation,
    Registration,
    RegistrationState,
)
from studienav.network.selectors import (
    active_registration,
    can_lead_courses,
    seats_taken,
    sessions_managed_by,
    waiting_list,
    waiting_position,
)

CANCEL_SALT = "studienav.network.cancel"
EVALUATION_SALT = "studienav.network.evaluation"
CERTIFICATE_SALT = "studienav.network.certificate"
# Letters and digits that cannot be mistaken for each other when typed (no 0/O, 1/I/L, U/V).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 12


# Links ----------------------------------------------------------------------------------------


def _link(registration: Registration, *, salt: str, name: str) -> str:
    token = signing.dumps([registration.pk, registration.link_key], salt=salt, compress=True)
    with translation.override(registration.language):
        return settings.SITE_URL + reverse(name, args=[token])


def cancel_link(registration: Registration) -> str:
    return _link(registration, salt=CANCEL_SALT, name="network:cancel")


def evaluation_link(registration: Registration) -> str:
    return _link(registration, salt=EVALUATION_SALT, name="network:evaluate")


def certificate_link(registration: Registration) -> str:
    return _link(registration, salt=CERTIFICATE_SALT, name="network:certificate_download")


def _by_token(token: str, salt: str) -> Registration | None:
    try:
        pk, key = signing.loads(token, salt=salt)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    registration = (
        Registration.objects.select_related("session__course").filter(pk=pk, link_key=key).first()
    )
    return registration


def registration_by_cancel_token(token: str) -> Registration | None:
    return _by_token(token, CANCEL_SALT)


def registration_by_evaluation_token(token: str) -> Registration | None:
    return _by_token(token, EVALUATION_SALT)


def registration_by_certificate_token(token: str) -> Registration | None:
    return _by_token(token, CERTIFICATE_SALT)


# Courses and sessions -------------------------------------------------------------------------

COURSE_FIELDS = ("kind", "name", "name_en", "description", "description_en", "validity_months")


@transaction.atomic
def course_create(*, by: User, data: dict[str, Any]) -> Course:
    """Node office adds a course; GCP courses need the months their certificates are valid."""
    if not is_node_office(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office adds courses."))
    course = Course(**{name: data.get(name) for name in COURSE_FIELDS})
    if course.is_gcp and not course.validity_months:
        raise ValidationFailed(
            code="validity_required",
            field="validity_months",
            message=_("A GCP course needs the months its certificates are valid."),
        )
    if not course.is_gcp:
        course.validity_months = None
    model_validate(course)
    course.save()
    audit_record(actor=by, action="course.create", obj=course, before={})
    return course


@transaction.atomic
def session_create(
    *, by: User, course: Course, data: dict[str, Any], reason: str = ""
) -> CourseSession:
    """Node office (or a course leader, for a session they lead) plans a session of a course."""
    if not can_lead_courses(by):
        raise PermissionDenied(
            code="not_course_leader", message=_("Only course leaders and node office plan courses.")
        )
    session = CourseSession(course=course, **data)
    if session.leader is None:
        session.leader = by
    model_validate(session)
    session.save()
    audit_record(actor=by, action="course_session.create", obj=session, before={}, reason=reason)
    return session


# Registration and the waiting list ------------------------------------------------------------


def _mail(registration: Registration, template: str, **context: Any) -> None:
    session = registration.session
    send_templated_mail(
        to=registration.email,
        language=registration.language,
        template=f"network/email/{template}",
        context={
            "registration": registration,
            "course": session.course.name_in(registration.language),
            "session": session,
            "starts": timezone.localtime(session.starts_at),
            "cancel_link": cancel_link(registration),
            **context,
        },
    )


def _locked_session(session: CourseSession) -> CourseSession:
    """The session row locked for this transaction: registrations and cancellations of one
    session run one at a time, so a freed seat is given once."""
    return CourseSession.objects.select_for_update().select_related("course").get(pk=session.pk)


@transaction.atomic
def registration_create(
    *,
    session: CourseSession,
    full_name: str,
    email: str,
    organisation: str = "",
    language: str = "sv",
    user: User | None = None,
) -> Registration:
    """Register a person for a session: a seat if one is free, else the waiting list; the
    confirmation (or the place in the queue) goes out by e-mail with a link to cancel."""
    session = _locked_session(session)
    if session.is_cancelled:
        raise InvalidTransition(
            code="session_cancelled", message=_("This session has been cancelled.")
        )
    if session.has_started:
        raise InvalidTransition(
            code="session_started", message=_("Registration closed when the session started.")
        )
    email = email.strip().lower()
    if active_registration(session, email) is not None:
        raise ValidationFailed(
            code="already_registered",
            field="email",
            message=_("This e-mail address is already registered for this session."),
        )
    is_full = seats_taken(session) >= session.seats
    registration = Registration(
        session=session,
        user=user,
        full_name=full_name.strip(),
        email=email,
        organisation=organisation.strip(),
        language=language if language in ("sv", "en") else "sv",
        state=RegistrationState.WAITING if is_full else RegistrationState.CONFIRMED,
        link_key=secrets.token_urlsafe(18),
    )
    model_validate(registration)
    registration.save()
    audit_record(
        actor=user,
        action="course_registration.create",
        obj=registration,
        before={},
        label=f"{session}: {registration.state}",
    )
    if is_full:
        _mail(registration, "waiting", position=waiting_position(registration))
    else:
        _mail(registration, "registered")
    return registration


@transaction.atomic
def registration_cancel(
    *, registration: Registration, by: User | None = None, reason: str = ""
) -> Registration:
    """Cancel a registration (from the link in the e-mail, or by staff). A freed seat goes to
    the first on the waiting list at once, who is told by e-mail."""
    session = _locked_session(registration.session)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    registration.session = session
    if registration.state not in (RegistrationState.CONFIRMED, RegistrationState.WAITING):
        raise InvalidTransition(
            code="not_cancellable",
            field="state",
            message=_("This registration cannot be cancelled any more (%(state)s).")
            % {"state": registration.get_state_display()},
        )
    if session.has_started:
        raise InvalidTransition(
            code="session_started", message=_("The session has already started.")
        )
    held_seat = registration.state == RegistrationState.CONFIRMED
    before = snapshot(registration)
    registration.state = RegistrationState.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["state", "cancelled_at"])
    audit_record(
        actor=by,
        action="course_registration.cancel",
        obj=registration,
        before=before,
        reason=reason,
    )
    _mail(registration, "cancelled")
    if held_seat:
        _waiting_list_move_up(session)
    return registration


def _waiting_list_move_up(session: CourseSession) -> Registration | None:
    """Give free seats to the waiting list in order (inside the caller's locked transaction)."""
    moved = None
    while seats_taken(session) < session.seats:
        first = waiting_list(session).select_for_update().first()
        if first is None:
            break
        before = snapshot(first)
        first.state = RegistrationState.CONFIRMED
        first.moved_up_at = timezone.now()
        first.save(update_fields=["state", "moved_up_at"])
        audit_record(
            actor=None,
            action="course_registration.move_up",
            obj=first,
            before=before,
            reason="seat freed",
        )
        _mail(first, "moved_up")
        moved = first
    return moved


@transaction.atomic
def session_seats_change(*, session: CourseSession, by: User, seats: int) -> CourseSession:
    """Change the number of seats; more seats move the waiting list up."""
    if not sessions_managed_by(by).filter(pk=session.pk).exists():
        raise PermissionDenied(code="not_leader_of_session")
    session = _locked_session(session)
    before = snapshot(session)
    session.seats = seats
    model_validate(session)
    session.save(update_fields=["seats"])
    audit_record(actor=by, action="course_session.seats", obj=session, before=before)
    _waiting_list_move_up(session)
    return session


@transaction.atomic
def session_cancel(*, session: CourseSession, by: User, reason: str) -> CourseSession:
    """Call off a session: every registration still holding or waiting for a seat is
    cancelled and told by e-mail, with the reason."""
    _require_managed(session, by)
    if not reason.strip():
        raise ValidationFailed(code="reason_required", field="reason", message=_("Give a reason."))
    session = _locked_session(session)
    if session.is_cancelled or session.has_started:
        raise InvalidTransition(
            code="not_cancellable",
            message=_("Only a session that has not started can be cancelled."),
        )
    before = snapshot(session)
    session.is_cancelled = True
    session.save(update_fields=["is_cancelled"])
    audit_record(
        actor=by, action="course_session.cancel", obj=session, before=before, reason=reason
    )
    open_states = (RegistrationState.CONFIRMED, RegistrationState.WAITING)
    for registration in session.registrations.select_for_update().filter(state__in=open_states):
        registration_before = snapshot(registration)
        registration.state = RegistrationState.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["state", "cancelled_at"])
        audit_record(
            actor=by,
            action="course_registration.cancel",
            obj=registration,
            before=registration_before,
            reason=reason,
        )
        registration.session = session
        _mail(registration, "session_cancelled", reason=reason.strip())
    return session


# Attendance and certificates ------------------------------------------------------------------


def _require_managed(session: CourseSession, by: User) -> None:
    if not sessions_managed_by(by).filter(pk=session.pk).exists():
        raise PermissionDenied(
            code="not_leader_of_session",
            message=_("Only the session's course leader or node office can do this."),
        )


@transaction.atomic
def attendance_mark(*, session: CourseSession, by: User, attended: set[int]) -> list[Registration]:
    """The course leader marks who attended; every other seat holder is marked absent."""
    _require_managed(session, by)
    if timezone.localdate(session.starts_at) > timezone.localdate():
        raise InvalidTransition(
            code="not_yet", message=_("Attendance can be marked from the day the session starts.")
        )
    changed = []
    for registration in session.registrations.select_for_update().filter(state__in=SEAT_STATES):
        if hasattr(registration, "certificate") and registration.pk not in attended:
            raise InvalidTransition(
                code="certificate_issued",
                field="attended",
                message=_("%(name)s already has a certificate and stays marked present.")
                % {"name": registration.full_name},
            )
        state = (
            RegistrationState.ATTENDED if registration.pk in attended else RegistrationState.ABSENT
        )
        if registration.state == state:
            continue
        before = snapshot(registration)
        registration.state = state
        registration.save(update_fields=["state"])
        audit_record(
            actor=by, action="course_registration.attendance", obj=registration, before=before
        )
        changed.append(registration)
    return changed


def certificate_code_new() -> str:
    """Twelve random characters, in three groups of four: about 2^58 codes."""
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if not Certificate.objects.filter(code=code).exists():
            return code


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


@transaction.atomic
def certificates_issue(*, session: CourseSession, by: User) -> list[Certificate]:
    """A certificate for every attendee who has none yet, in the attendee's language; each
    gets an e-mail with a link to the PDF and to the evaluation form."""
    _require_managed(session, by)
    issued_on = timezone.localdate(session.ends_at)
    created = []
    attendees = session.registrations.select_for_update(of=("self",)).filter(
        state=RegistrationState.ATTENDED, certificate__isnull=True
    )
    for registration in attendees:
        months = session.course.validity_months if session.course.is_gcp else None
        certificate = Certificate(
            registration=registration,
            code=certificate_code_new(),
            full_name=registration.full_name,
            issued_on=issued_on,
            valid_until=add_months(issued_on, months) if months else None,
            language=registration.language,
        )
        model_validate(certificate)
        certificate.save()
        audit_record(actor=by, action="certificate.issue", obj=certificate, before={})
        _mail(
            registration,
            "certificate",
            certificate=certificate,
            certificate_link=certificate_link(registration),
            evaluation_link=evaluation_link(registration),
        )
        created.append(certificate)
    return created


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, by: User, reason: str) -> Certificate:
    """Withdraw a certificate issued in error; the verification page then says it is not valid."""
    _require_managed(certificate.registration.session, by)
    if not reason.strip():
        raise ValidationFailed(code="reason_required", field="reason", message=_("Give a reason."))
    before = snapshot(certificate)
    certificate.is_revoked = True
    certificate.save(update_fields=["is_revoked"])
    audit_record(
        actor=by, action="certificate.revoke", obj=certificate, before=before, reason=reason
    )
    return certificate


# Evaluation ----------------------------------------------------------------------------------


@transaction.atomic
def evaluation_submit(*, registration: Registration, answers: dict[str, Any]) -> Evaluation:
    """A participant's answers after the course; once per registration."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.state != RegistrationState.ATTENDED:
        raise InvalidTransition(
            code="not_attended", message=_("Only participants who attended can evaluate.")
        )
    if Evaluation.objects.filter(registration=registration).exists():
        raise InvalidTransition(
            code="already_evaluated", message=_("Thank you, your answers are already recorded.")
        )
    evaluation = Evaluation(registration=registration, **answers)
    model_validate(evaluation)
    evaluation.save()
    audit_record(actor=registration.user, action="evaluation.submit", obj=evaluation, before={})
    return evaluation


# Reminders -----------------------------------------------------------------------------------


def session_reminders_send(*, now: datetime | None = None) -> int:
    """One reminder to each confirmed participant when the session is less than
    NETWORK_SESSION_REMINDER_DAYS away; never twice."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.NETWORK_SESSION_REMINDER_DAYS)
    due = Registration.objects.filter(
        state=RegistrationState.CONFIRMED,
        reminded_at__isnull=True,
        session__is_cancelled=False,
        session__starts_at__gt=now,
        session__starts_at__lte=horizon,
    ).select_related("session__course")
    sent = 0
    for registration in due:
        with transaction.atomic():
            registration.reminded_at = now
            registration.save(update_fields=["reminded_at"])
            _mail(registration, "reminder")
            sent += 1
    return sent


def certificate_expiry_reminders_send(*, today: date | None = None) -> int:
    """One reminder per GCP certificate NETWORK_CERTIFICATE_REMINDER_DAYS before it runs out,
    with the coming refresher sessions."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.NETWORK_CERTIFICATE_REMINDER_DAYS)
    due = Certificate.objects.filter(
        is_revoked=False,
        expiry_reminded_at__isnull=True,
        valid_until__gte=today,
        valid_until__lte=horizon,
    ).select_related("registration__session__course")
    sent = 0
    for certificate in due:
        with transaction.atomic():
            certificate.expiry_reminded_at = timezone.now()
            certificate.save(update_fields=["expiry_reminded_at"])
            registration = certificate.registration
            with translation.override(registration.language):
                calendar = settings.SITE_URL + reverse("network:courses")
            send_templated_mail(
                to=registration.email,
                language=registration.language,
                template="network/email/certificate_expiry",
                context={
                    "certificate": certificate,
                    "course": registration.session.course.name_in(registration.language),
                    "calendar": calendar,
                },
            )
            sent += 1
    return sent
