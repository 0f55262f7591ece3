"""Sign-in: passwords, lockout, second factor, session lifetime, password reset, invitations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from studienav.core import services
from studienav.core.errors import ValidationFailed
from studienav.core.models import Invitation, Role, User
from tests.factories import PASSWORD, UserFactory, totp_device

pytestmark = pytest.mark.django_db
LOGIN = reverse("core:login")
DASHBOARD = reverse("core:dashboard")


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def test_passwords_are_hashed_with_argon2(bertil: User) -> None:
    assert bertil.password.startswith("argon2$argon2id$")


def test_wrong_password_and_unknown_address_get_the_same_message(
    client: Client, bertil: User
) -> None:
    wrong = client.post(LOGIN, {"username": bertil.email, "password": "not-the-password"})
    unknown = client.post(LOGIN, {"username": "nobody@test.example", "password": "whatever-1234"})
    assert wrong.status_code == unknown.status_code == 200
    message = "The e-mail address or the password is wrong."
    assert message in wrong.content.decode() or "fel" in wrong.content.decode()
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_login_is_case_insensitive_on_email(client: Client, bertil: User) -> None:
    response = client.post(LOGIN, {"username": "BERTIL@test.example", "password": PASSWORD})
    assert response.status_code == 302


def test_lockout_after_five_failures_refuses_even_the_right_password(
    client: Client, bertil: User
) -> None:
    for _ in range(5):
        client.post(LOGIN, {"username": bertil.email, "password": "wrong-password-x"})
    response = client.post(LOGIN, {"username": bertil.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "15" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_ends_after_the_cool_off(client: Client, bertil: User) -> None:
    for _ in range(5):
        client.post(LOGIN, {"username": bertil.email, "password": "wrong-password-x"})
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.post(LOGIN, {"username": bertil.email, "password": PASSWORD})
    assert response.status_code == 302


def test_staff_page_asks_for_the_second_factor_after_the_password(
    client: Client, bertil: User
) -> None:
    device = totp_device(bertil)
    client.post(LOGIN, {"username": bertil.email, "password": PASSWORD})
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:otp_verify"))
    wrong = client.post(reverse("core:otp_verify"), {"token": "000000", "next": DASHBOARD})
    assert wrong.status_code == 422
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    right = client.post(reverse("core:otp_verify"), {"token": _code(device), "next": DASHBOARD})
    assert right.status_code == 302 and right["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_person_without_authenticator_must_enrol_and_gets_recovery_codes(
    client: Client, bertil: User
) -> None:
    client.post(LOGIN, {"username": bertil.email, "password": PASSWORD})
    response = client.get(DASHBOARD)
    assert response["Location"].startswith(reverse("core:otp_setup"))
    page = client.get(reverse("core:otp_setup"))
    assert page.status_code == 200
    assert page.context["qr"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=bertil, confirmed=False)
    done = client.post(reverse("core:otp_setup"), {"token": _code(device)})
    assert done.status_code == 200
    assert len(done.context["codes"]) == 10
    assert client.get(DASHBOARD).status_code == 200


def test_recovery_code_works_once(client: Client, bertil: User) -> None:
    totp_device(bertil)
    codes = services.recovery_codes_regenerate(user=bertil)
    client.post(LOGIN, {"username": bertil.email, "password": PASSWORD})
    assert client.post(reverse("core:otp_verify"), {"token": codes[0]}).status_code == 302
    client.post(reverse("core:logout"))
    client.post(LOGIN, {"username": bertil.email, "password": PASSWORD})
    assert client.post(reverse("core:otp_verify"), {"token": codes[0]}).status_code == 422


def test_person_without_any_role_gets_403_on_staff_pages(client: Client) -> None:
    nobody = UserFactory.create(email="nobody@test.example")
    client.force_login(nobody)
    assert client.get(DASHBOARD).status_code == 403


def test_session_ends_after_thirty_minutes_idle(
    client: Client, bertil: User, signed_in: Callable[[Client, User], Client]
) -> None:
    signed_in(client, bertil)
    assert client.get(DASHBOARD).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_session_ends_after_twelve_hours_even_when_active(
    client: Client, bertil: User, signed_in: Callable[[Client, User], Client]
) -> None:
    signed_in(client, bertil)
    start = timezone.now()
    client.get(DASHBOARD)
    for minutes in range(25, 12 * 60, 25):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get(DASHBOARD).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5)):
        response = client.get(DASHBOARD)
    assert response.status_code == 302


def test_password_reset_mails_a_link_and_says_the_same_for_unknown_addresses(
    client: Client, bertil: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # sent from the outbox
        known = client.post(reverse("core:password_reset"), {"email": bertil.email})
        unknown = client.post(reverse("core:password_reset"), {"email": "nobody@test.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", str(mail.outbox[0].body))
    assert link is not None
    path = link.group(0).split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    new_password = "Lingonsylt-och-pannkaka-7"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    bertil.refresh_from_db()
    assert bertil.check_password(new_password)


@pytest.mark.parametrize(
    "password", ["short-pw", "password1234", "aaaaaaaaaaaaaaa", "123456789012"]
)
def test_weak_passwords_are_refused_at_invitation(cecilia: User, password: str) -> None:
    invitation, _token = services.user_invite(
        by=cecilia, email="new@test.example", full_name="Ny Person", role=Role.RESEARCHER
    )
    with pytest.raises(ValidationFailed):
        services.invitation_accept(invitation=invitation, password=password)
    assert not User.objects.filter(email="new@test.example").exists()


def test_invitation_from_node_office_to_working_account(
    client: Client,
    cecilia: User,
    orebro: object,
    signed_in: Callable[[Client, User], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    signed_in(client, cecilia)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("core:people"),
            {
                "full_name": "Greta Forsberg",
                "email": "greta@test.example",
                "language": "en",
                "role": Role.NODE_COORDINATOR,
                "region": orebro.pk,  # type: ignore[attr-defined]
            },
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["greta@test.example"]
    assert "Invitation" in message.subject  # in the invitee's language
    link = re.search(r"https?://\S+", str(message.body))
    assert link is not None
    client.post(reverse("core:logout"))
    path = link.group(0).split("127.0.0.1:8000", 1)[1]
    assert client.get(path).status_code == 200
    accepted = client.post(
        path, {"password": "Blåbärssoppa-i-Mora", "password_again": "Blåbärssoppa-i-Mora"}
    )
    assert accepted.status_code == 302
    greta = User.objects.get(email="greta@test.example")
    assert greta.roles.get().role == Role.NODE_COORDINATOR
    assert greta.language == "en"
    assert client.get(path).status_code == 404  # used once


def test_expired_invitation_is_refused(client: Client, cecilia: User) -> None:
    _invitation, token = services.user_invite(
        by=cecilia, email="late@test.example", full_name="Sen Person", role=Role.RESEARCHER
    )
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.get(reverse("core:invitation_accept", args=[token]))
    assert response.status_code == 404
    assert Invitation.objects.get(email="late@test.example").accepted_at is None
