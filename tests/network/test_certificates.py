"""Attendance, certificates with their verification page, evaluations and expiry reminders."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from studienav.core.errors import InvalidTransition, PermissionDenied
from studienav.core.models import User
from studienav.network import services
from studienav.network.certificates import certificate_pdf
from studienav.network.models import (
    Certificate,
    CourseKind,
    CourseSession,
    Registration,
    RegistrationState,
)
from studienav.network.selectors import certificate_by_code
from tests.network.conftest import mails_to
from tests.network.factories import CourseFactory, RegistrationFactory, SessionFactory

CODE_PATTERN = r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$"


@pytest.fixture
def held(session: CourseSession, time_machine: Any) -> CourseSession:
    """The session with two seat holders, on the day it is held."""
    RegistrationFactory.create(session=session, full_name="Olle Ek", email="olle@test.example")
    RegistrationFactory.create(session=session, full_name="Pia Holm", email="pia@test.example")
    time_machine.move_to("2025-03-20 16:00+01:00", tick=False)
    return session


def _issue(session: CourseSession, leader: User) -> list[Certificate]:
    present = {r.pk for r in session.registrations.filter(full_name="Olle Ek")}
    services.attendance_mark(session=session, by=leader, attended=present)
    return services.certificates_issue(session=session, by=leader)


def test_attendance_cannot_be_marked_before_the_session(session: CourseSession, lena: User) -> None:
    with pytest.raises(InvalidTransition):
        services.attendance_mark(session=session, by=lena, attended=set())


def test_a_coordinator_cannot_mark_attendance(held: CourseSession, bertil: User) -> None:
    with pytest.raises(PermissionDenied):
        services.attendance_mark(session=held, by=bertil, attended=set())


def test_another_course_leader_does_not_see_the_session(
    client: Client, signed_in: Any, held: CourseSession
) -> None:
    from studienav.core.models import Role
    from tests.factories import RoleFactory, UserFactory

    other = UserFactory.create(email="other.leader@test.example")
    RoleFactory.create(user=other, role=Role.COURSE_LEADER)
    signed_in(client, other)
    response = client.get(reverse("network:session_manage", args=[held.pk]))
    assert response.status_code == 404


def test_only_attendees_get_certificates_with_typeable_codes(
    held: CourseSession, lena: User
) -> None:
    [certificate] = _issue(held, lena)
    assert certificate.full_name == "Olle Ek"
    assert certificate.code.__len__() == 14
    import re

    assert re.match(CODE_PATTERN, certificate.code)
    absent = Registration.objects.get(full_name="Pia Holm")
    assert absent.state == RegistrationState.ABSENT
    assert services.certificates_issue(session=held, by=lena) == []


def test_a_gcp_certificate_is_valid_for_the_course_s_months(
    held: CourseSession, lena: User
) -> None:
    [certificate] = _issue(held, lena)
    assert certificate.issued_on == date(2025, 3, 20)
    assert certificate.valid_until == date(2028, 3, 20)


def test_other_courses_give_certificates_without_validity(lena: User, time_machine: Any) -> None:
    course = CourseFactory.create(kind=CourseKind.OTHER, name="Etik", validity_months=None)
    session = SessionFactory.create(course=course, leader=lena)
    RegistrationFactory.create(session=session, full_name="Olle Ek")
    time_machine.move_to("2025-03-20 16:00+01:00", tick=False)
    [certificate] = _issue(session, lena)
    assert certificate.valid_until is None


def test_the_certificate_email_links_the_pdf_and_the_evaluation(
    held: CourseSession, lena: User
) -> None:
    _issue(held, lena)
    body = mails_to("olle@test.example")[-1].body
    assert "/courses/certificate/" in body
    assert "/courses/evaluation/" in body


def test_the_certificate_pdf_is_a_pdf(held: CourseSession, lena: User) -> None:
    [certificate] = _issue(held, lena)
    content = certificate_pdf(certificate)
    assert content.startswith(b"%PDF-")
    assert certificate.code.encode() in content


def test_the_verification_page_shows_only_validity_name_course_and_date(
    client: Client, held: CourseSession, lena: User, english: None
) -> None:
    [certificate] = _issue(held, lena)
    response = client.get(f"/en/certificates/{certificate.code}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Valid" in page and "Olle Ek" in page and "GCP basic course" in page
    assert "20 March 2028" in page
    assert "olle@test.example" not in page


def test_a_code_typed_in_lower_case_without_dashes_is_found(
    held: CourseSession, lena: User
) -> None:
    [certificate] = _issue(held, lena)
    assert certificate_by_code(certificate.code.replace("-", "").lower()) == certificate


def test_an_unknown_code_gets_a_404_that_says_so(client: Client, db: None, english: None) -> None:
    response = client.get("/en/certificates/ABCD-EFGH-JKMN/")
    assert response.status_code == 404
    assert "No such certificate" in response.content.decode()


def test_a_revoked_certificate_is_shown_as_not_valid(
    client: Client, held: CourseSession, lena: User, english: None
) -> None:
    [certificate] = _issue(held, lena)
    services.certificate_revoke(certificate=certificate, by=lena, reason="Wrong person")
    page = client.get(f"/en/certificates/{certificate.code}/").content.decode()
    assert "Not valid" in page


def test_many_lookups_from_one_client_are_refused(client: Client, db: None, settings: Any) -> None:
    settings.NETWORK_VERIFY_RATE_LIMIT = 3
    cache.clear()
    statuses = [client.get("/certificates/ABCD-EFGH-JKMN/").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    cache.clear()


def test_an_attendee_evaluates_once_and_the_leader_sees_the_summary(
    client: Client, signed_in: Any, held: CourseSession, lena: User
) -> None:
    _issue(held, lena)
    registration = Registration.objects.get(full_name="Olle Ek")
    url = services.evaluation_link(registration).split("://", 1)[1].split("/", 1)[1]
    answers = {"overall": "5", "relevance": "4", "leader": "5", "would_recommend": "yes"}
    response = client.post("/" + url, {**answers, "comment": "Bra exempel"})
    assert response.status_code == 200
    with pytest.raises(InvalidTransition):
        services.evaluation_submit(
            registration=registration,
            answers={"overall": 1, "relevance": 1, "leader": 1, "would_recommend": False},
        )
    signed_in(client, lena)
    page = client.get(reverse("network:session_manage", args=[held.pk])).content.decode()
    assert "Bra exempel" in page


def test_an_absent_person_cannot_evaluate(held: CourseSession, lena: User) -> None:
    _issue(held, lena)
    absent = Registration.objects.get(full_name="Pia Holm")
    with pytest.raises(InvalidTransition):
        services.evaluation_submit(
            registration=absent,
            answers={"overall": 3, "relevance": 3, "leader": 3, "would_recommend": True},
        )


def test_gcp_holders_are_reminded_once_before_the_certificate_runs_out(
    held: CourseSession, lena: User
) -> None:
    _issue(held, lena)
    assert services.certificate_expiry_reminders_send(today=date(2027, 12, 1)) == 0
    assert services.certificate_expiry_reminders_send(today=date(2028, 2, 1)) == 1
    assert services.certificate_expiry_reminders_send(today=date(2028, 2, 2)) == 0
    assert "GCP" in mails_to("olle@test.example")[-1].subject


def test_participants_are_reminded_once_before_the_session(session: CourseSession) -> None:
    services.registration_create(session=session, full_name="Olle", email="olle@test.example")
    from datetime import UTC, datetime

    assert services.session_reminders_send(now=datetime(2025, 3, 10, tzinfo=UTC)) == 0
    assert services.session_reminders_send(now=datetime(2025, 3, 18, tzinfo=UTC)) == 1
    assert services.session_reminders_send(now=datetime(2025, 3, 19, tzinfo=UTC)) == 0
