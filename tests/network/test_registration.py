"""Registration, the waiting list and cancellation by link."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from studienav.core.errors import InvalidTransition, ValidationFailed
from studienav.core.models import AuditEvent
from studienav.network import services
from studienav.network.models import CourseSession, Registration, RegistrationState
from studienav.network.selectors import seats_taken, waiting_position
from tests.network.conftest import mails_to


def _register(session: CourseSession, name: str) -> Registration:
    return services.registration_create(
        session=session, full_name=name.title(), email=f"{name}@test.example", organisation="RS"
    )


def test_a_free_seat_is_confirmed_by_email_with_a_cancel_link(session: CourseSession) -> None:
    registration = _register(session, "olle")
    assert registration.state == RegistrationState.CONFIRMED
    [mail] = mails_to("olle@test.example")
    assert "GCP grundkurs" in mail.subject
    assert "/courses/cancel/" in mail.body


def test_a_full_session_puts_people_on_the_waiting_list_in_order(session: CourseSession) -> None:
    _register(session, "olle")
    _register(session, "pia")
    third = _register(session, "quinn")
    fourth = _register(session, "rut")
    assert third.state == fourth.state == RegistrationState.WAITING
    assert (waiting_position(third), waiting_position(fourth)) == (1, 2)
    assert "number 1" in mails_to("quinn@test.example")[0].body or "nummer 1" in (
        mails_to("quinn@test.example")[0].body
    )


def test_the_same_email_cannot_register_twice(session: CourseSession) -> None:
    _register(session, "olle")
    with pytest.raises(ValidationFailed) as error:
        services.registration_create(session=session, full_name="Olle", email="OLLE@test.example")
    assert error.value.field == "email"


def test_registration_closes_when_the_session_starts(
    session: CourseSession, time_machine: object
) -> None:
    time_machine.move_to(session.starts_at)  # type: ignore[attr-defined]
    with pytest.raises(InvalidTransition):
        _register(session, "olle")


def test_cancelling_gives_the_seat_to_the_first_on_the_waiting_list(session: CourseSession) -> None:
    first = _register(session, "olle")
    _register(session, "pia")
    queued = _register(session, "quinn")
    later = _register(session, "rut")
    services.registration_cancel(registration=first)
    queued.refresh_from_db()
    later.refresh_from_db()
    assert queued.state == RegistrationState.CONFIRMED
    assert queued.moved_up_at is not None
    assert later.state == RegistrationState.WAITING and waiting_position(later) == 1
    assert seats_taken(session) == 2
    assert any("seat" in m.body or "plats" in m.body for m in mails_to("quinn@test.example")[1:])
    assert AuditEvent.objects.filter(action="course_registration.move_up").count() == 1


def test_cancelling_a_waiting_registration_moves_nobody_up(session: CourseSession) -> None:
    _register(session, "olle")
    _register(session, "pia")
    queued = _register(session, "quinn")
    services.registration_cancel(registration=queued)
    assert seats_taken(session) == 2
    assert not Registration.objects.filter(moved_up_at__isnull=False).exists()


def test_a_seat_freed_once_is_given_once(session: CourseSession) -> None:
    first = _register(session, "olle")
    _register(session, "pia")
    _register(session, "quinn")
    _register(session, "rut")
    services.registration_cancel(registration=first)
    with pytest.raises(InvalidTransition):
        services.registration_cancel(registration=first)
    assert seats_taken(session) == 2
    assert Registration.objects.filter(moved_up_at__isnull=False).count() == 1


def test_more_seats_move_the_waiting_list_up(session: CourseSession, lena: object) -> None:
    _register(session, "olle")
    _register(session, "pia")
    queued = _register(session, "quinn")
    services.session_seats_change(session=session, by=lena, seats=3)  # type: ignore[arg-type]
    queued.refresh_from_db()
    assert queued.state == RegistrationState.CONFIRMED


def test_the_cancel_link_asks_before_it_cancels(client: Client, session: CourseSession) -> None:
    registration = _register(session, "olle")
    link = re.search(r"https?://\S+/courses/cancel/\S+/", mails_to("olle@test.example")[0].body)
    assert link is not None
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.state == RegistrationState.CONFIRMED
    response = client.post("/" + path)
    registration.refresh_from_db()
    assert registration.state == RegistrationState.CANCELLED


def test_a_tampered_cancel_link_is_refused(client: Client, session: CourseSession) -> None:
    registration = _register(session, "olle")
    token = services.cancel_link(registration).rstrip("/").rsplit("/", 1)[1]
    response = client.post(reverse("network:cancel", args=[token[:-2] + "xx"]))
    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.state == RegistrationState.CONFIRMED


def test_the_public_form_registers_and_shows_the_queue_position(
    client: Client, session: CourseSession
) -> None:
    _register(session, "olle")
    _register(session, "pia")
    response = client.post(
        f"/en/courses/sessions/{session.pk}/",
        {
            "full_name": "Quinn Q",
            "email": "quinn@test.example",
            "organisation": "",
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert "number 1 on the waiting list" in response.content.decode()


def test_the_public_form_names_the_field_in_error(client: Client, session: CourseSession) -> None:
    response = client.post(
        f"/en/courses/sessions/{session.pk}/",
        {"full_name": "", "email": "not-an-address", "language": "en"},
    )
    assert response.status_code == 422
    assert not Registration.objects.exists()


def test_a_cancelled_session_tells_everyone_and_leaves_the_calendar(
    client: Client, session: CourseSession, lena: object
) -> None:
    _register(session, "olle")
    _register(session, "pia")
    queued = _register(session, "quinn")
    services.session_cancel(session=session, by=lena, reason="Kursledaren är sjuk")  # type: ignore[arg-type]
    queued.refresh_from_db()
    assert queued.state == RegistrationState.CANCELLED
    assert "Kursledaren är sjuk" in mails_to("olle@test.example")[-1].body
    assert b"VEVENT" not in client.get("/courses/calendar.ics").content


def test_a_session_is_not_cancelled_without_a_reason(session: CourseSession, lena: object) -> None:
    with pytest.raises(ValidationFailed):
        services.session_cancel(session=session, by=lena, reason=" ")  # type: ignore[arg-type]
    session.refresh_from_db()
    assert not session.is_cancelled
