"""View decorators: sign-in, second factor and role checks, decided by the selectors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django_otp.plugins.otp_totp.models import TOTPDevice

from studienav.core.models import Role, User
from studienav.core.selectors import active_roles, has_role, needs_second_factor

View = TypeVar("View", bound=Callable[..., HttpResponse])


def request_user(request: HttpRequest) -> User:
    """The signed-in person of a view behind one of the decorators below."""
    assert isinstance(request.user, User)
    return request.user


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed a second factor (django-otp's middleware sets it)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def second_factor_redirect(request: HttpRequest) -> HttpResponse | None:
    """Where a signed-in person must go first: TOTP enrolment or TOTP verification."""
    user = request.user
    if not needs_second_factor(user) or is_verified(request):
        return None
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect_to_login(request.get_full_path(), "core:otp_verify")
    return redirect_to_login(request.get_full_path(), "core:otp_setup")


def signed_in_required(view: View) -> View:
    """Signed in, and the second factor passed when the person needs one; no role needed
    (applicants, network members). Never cached."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        pending = second_factor_redirect(request)
        if pending is not None:
            return pending
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return cast(View, wrapped)


def staff_required(view: View) -> View:
    """Signed in, second factor passed, and holding at least one role. Staff pages show
    people's data: never kept by browsers or proxies."""

    @wraps(view)
    def with_role(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_superuser or active_roles(request.user).exists()):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return signed_in_required(cast(View, with_role))


def role_required(*roles: Role) -> Callable[[View], View]:
    """Like staff_required, and the person holds one of `roles` (node office holds all)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles, Role.NODE_OFFICE, Role.ADMINISTRATOR):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return staff_required(cast(View, checked))

    return decorate


def login_name(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The account a sign-in attempt is for, as lockout counts it: e-mail, lower-cased."""
    name = (credentials or {}).get("username") or request.POST.get("username")
    return str(name).strip().lower() if name else None
