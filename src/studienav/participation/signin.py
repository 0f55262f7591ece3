"""How a member of the public proves who they are to see "my registrations".

One small interface, so that an OIDC provider (BankID, Freja eID) can be configured later in
place of the e-mailed one-time link: each method ends by putting a keyed hash in the session.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from studienav.core.services import send_templated_mail
from studienav.participation.fields import email_hash
from studienav.participation.models import ExpressionOfInterest
from studienav.participation.tokens import SIGN_IN_MAX_AGE, one_time_token, one_time_token_use

SESSION_KEY = "participation_person"
SESSION_SECONDS = 30 * 60


class SignInMethod(Protocol):
    name: str

    def start(self, request: HttpRequest, *, email: str) -> None:
        """Begin a sign-in (send a link, or redirect to a provider)."""

    def complete(self, request: HttpRequest, *, token: str) -> bool:
        """Finish it: on success the session holds the person's lookup hashes."""


def person_sign_in(
    request: HttpRequest, *, email_hash_value: str = "", identity_hash: str = ""
) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "email_hash": email_hash_value,
        "identity_hash": identity_hash,
        "until": timezone.now().timestamp() + SESSION_SECONDS,
    }


def person_sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def signed_in_person(request: HttpRequest) -> dict[str, str] | None:
    """The lookup hashes of the signed-in member of the public, or None."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("until", 0) < timezone.now().timestamp():
        return None
    return {
        "email_hash": data.get("email_hash", ""),
        "identity_hash": data.get("identity_hash", ""),
    }


class EmailLinkSignIn:
    """A one-time link e-mailed to the address; silent when no registration uses it."""

    name = "email"

    def start(self, request: HttpRequest, *, email: str) -> None:
        hashed = email_hash(email)
        interest = (
            ExpressionOfInterest.objects.filter(email_hash=hashed, erased_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if interest is None:
            return  # say the same thing either way: nobody learns who is registered
        language = interest.language
        token = one_time_token(purpose="sign-in", payload={"h": hashed})
        with translation.override(language):
            link = settings.SITE_URL + reverse("participation:my_sign_in_complete", args=[token])
        send_templated_mail(
            to=email.strip(),
            language=language,
            template="participation/email/sign_in",
            context={"link": link, "minutes": SIGN_IN_MAX_AGE // 60},
        )

    def complete(self, request: HttpRequest, *, token: str) -> bool:
        data = one_time_token_use(purpose="sign-in", token=token, max_age=SIGN_IN_MAX_AGE)
        if not data or not isinstance(data.get("h"), str):
            return False
        person_sign_in(request, email_hash_value=data["h"])
        return True


_METHODS: dict[str, SignInMethod] = {"email": EmailLinkSignIn()}


def sign_in_method() -> SignInMethod:
    """The configured method (PARTICIPATION_SIGN_IN, default the e-mailed link)."""
    return _METHODS[getattr(settings, "PARTICIPATION_SIGN_IN", "email")]
