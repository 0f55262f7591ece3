"""Staff sign-in through the region's identity provider with OpenID Connect (OIDC_ENABLED).

The provider says who a person is; studienav says what they may do. A sign-in finds the
account with the e-mail address the provider vouches for and grants nothing: roles are
given and taken on the staff pages as before, and an unknown address is refused unless
OIDC_CREATE_USER allows a role-less account. The provider asks for its own second factor,
so its sign-in counts as one here (OIDC_PROVIDER_SECOND_FACTOR); password accounts keep TOTP.
Every refusal lands on the sign-in page with a message, never on an error page.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_from_path, gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from studienav.core.audit import audit_record
from studienav.core.models import User

logger = logging.getLogger(__name__)

# The OTP device a provider's sign-in verifies the session with: it holds no codes of its own.
PROVIDER_DEVICE_NAME = "identity-provider"
# Where the backend leaves, on the request, why a sign-in was refused.
_REFUSAL_ATTRIBUTE = "studienav_oidc_refusal"

REFUSAL_MESSAGES = {
    "unknown_account": gettext_lazy(
        "%(provider)s signed you in, but no account here has that e-mail address. Ask the "
        "node office for an invitation, or sign in with your password."
    ),
    "unverified_email": gettext_lazy(
        "%(provider)s did not confirm your e-mail address, so it cannot sign you in here. "
        "Sign in with your password."
    ),
    "token_invalid": gettext_lazy(
        "The answer from %(provider)s could not be verified, so you are not signed in. Try again."
    ),
    "provider_unavailable": gettext_lazy(
        "%(provider)s did not answer. Try again in a moment, or sign in with your password."
    ),
    "provider_refused": gettext_lazy(
        "%(provider)s did not sign you in. Try again, or sign in with your password."
    ),
    "session_expired": gettext_lazy(
        "The sign-in through %(provider)s took too long or was started in another window. "
        "Try again."
    ),
}


class SignInRefused(Exception):
    """A provider's answer that signs nobody in, with the code of a REFUSAL_MESSAGES entry."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def provider_name() -> str:
    """The provider as the sign-in page names it ("Region Uppsala"); empty when turned off."""
    return str(settings.OIDC_PROVIDER_NAME) if settings.OIDC_ENABLED else ""


def refusal_message(code: str) -> str:
    """What a person is told when the provider's sign-in did not sign them in."""
    template = REFUSAL_MESSAGES.get(code, REFUSAL_MESSAGES["provider_refused"])
    return str(template) % {"provider": settings.OIDC_PROVIDER_NAME}


def id_token_check(claims: dict[str, Any]) -> None:
    """The ID token is meant for this site, from the configured issuer, and expires.

    The signature, its algorithm, the nonce and a present `exp` are checked by the library.
    """
    client_id = settings.OIDC_RP_CLIENT_ID
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if client_id not in audiences:
        raise SignInRefused("token_invalid")
    # With several audiences the token must say it was issued to this site (OIDC Core 3.1.3.7).
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInRefused("token_invalid")
    if claims.get("iss") != settings.OIDC_OP_ISSUER:
        raise SignInRefused("token_invalid")
    if not isinstance(claims.get("exp"), int | float) or not claims.get("sub"):
        raise SignInRefused("token_invalid")


def verified_email(claims: dict[str, Any]) -> str:
    """The e-mail address the provider vouches for, lower-cased, or SignInRefused."""
    email = claims.get(settings.OIDC_EMAIL_CLAIM)
    if not isinstance(email, str) or "@" not in email:
        raise SignInRefused("unverified_email")
    if settings.OIDC_REQUIRE_VERIFIED_EMAIL and claims.get("email_verified") is not True:
        raise SignInRefused("unverified_email")
    return email.strip().lower()


@transaction.atomic
def account_create_from_provider(*, email: str, full_name: str) -> User:
    """A role-less account for a person the provider signed in (only with OIDC_CREATE_USER)."""
    user = User(email=email, full_name=(full_name.strip() or email)[:200])
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=user, action="user.create", obj=user, before={}, reason="identity provider")
    return user


@transaction.atomic
def provider_sign_in_record(*, user: User, issuer: str) -> StaticDevice | None:
    """Audit a sign-in through the provider; returns the device that stands for its second
    factor (None when OIDC_PROVIDER_SECOND_FACTOR is off and TOTP is asked for here)."""
    device = None
    if settings.OIDC_PROVIDER_SECOND_FACTOR:
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=PROVIDER_DEVICE_NAME, defaults={"confirmed": True}
        )
        # It verifies sessions only: no code may ever be entered against it.
        device.token_set.all().delete()
    audit_record(
        actor=user,
        action="user.sign_in",
        obj=user,
        changes={
            "method": [None, "openid_connect"],
            "issuer": [None, issuer],
            "second_factor": [None, "identity provider" if device else "totp"],
        },
        reason=settings.OIDC_PROVIDER_NAME,
    )
    return device


class IdentityProviderBackend(OIDCAuthenticationBackend):
    """Finds the studienav account for the provider's answer; never grants a role."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        # Password sign-ins pass username and password: they are ModelBackend's (and axes').
        if request is None or "username" in kwargs or "password" in kwargs:
            return None
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except SignInRefused as refusal:
            _refused(request, refusal.code)
            return None
        except requests.RequestException as error:
            _refused(request, "provider_unavailable", error)
            return None
        except (SuspiciousOperation, jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
            # A token that fails a check, or an answer not shaped as the protocol says.
            _refused(request, "token_invalid", error)
            return None
        if user is None and request.GET.get("code"):
            _refused(request, "token_invalid")
            return None
        return user

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        # The ID token comes with the sign-in's nonce; a signed user-info answer without it.
        if "nonce" in kwargs:
            id_token_check(payload)
        return payload

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            # The user-info answer must be about the person the ID token names (OIDC Core 5.3.2).
            raise SignInRefused("token_invalid")
        claims = {**payload, **userinfo}
        email = verified_email(claims)
        user = User.objects.filter(email__iexact=email).first()
        if user is None and settings.OIDC_CREATE_USER:
            return account_create_from_provider(email=email, full_name=str(claims.get("name", "")))
        if user is None or not user.is_active:
            raise SignInRefused("unknown_account")
        return user


def _refused(request: HttpRequest, code: str, error: Exception | None = None) -> None:
    setattr(request, _REFUSAL_ATTRIBUTE, code)
    detail = f" ({type(error).__name__}: {error})" if error is not None else ""
    logger.warning("Sign-in through the identity provider refused: %s%s", code, detail)


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here: sign in, or back to the sign-in page."""

    request: HttpRequest
    user: User

    def get(self, request: HttpRequest) -> HttpResponse:
        # The callback has one address for every language: the page to go on to has its own.
        language = get_language_from_path(request.session.get("oidc_login_next") or "")
        with translation.override(language or settings.LANGUAGE_CODE):
            try:
                response: HttpResponse = super().get(request)
            except SuspiciousOperation:
                # A state this browser did not start: an old tab, a replay, or a forged link.
                return _refused_response(request, "session_expired")
        return response

    def login_failure(self) -> HttpResponse:
        code = getattr(self.request, _REFUSAL_ATTRIBUTE, None)
        if code is None:
            code = "provider_refused" if self.request.GET.get("error") else "session_expired"
            logger.warning("Sign-in through the identity provider refused: %s", code)
        return _refused_response(self.request, code)

    def login_success(self) -> HttpResponse:
        response: HttpResponseRedirect = super().login_success()
        device = provider_sign_in_record(user=self.user, issuer=settings.OIDC_OP_ISSUER)
        if device is not None:
            otp_login(self.request, device)
        return response


def _refused_response(request: HttpRequest, code: str) -> HttpResponse:
    """Back to the sign-in page, in the person's language, with why and where they were going."""
    messages.error(request, refusal_message(code))
    login = reverse("core:login")
    next_url = request.session.get("oidc_login_next")
    return HttpResponseRedirect(f"{login}?{urlencode({'next': next_url})}" if next_url else login)
