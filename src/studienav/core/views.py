"""Sign-in with a second factor, invitations, the staff dashboard, people, history, health."""

from __future__ import annotations

import base64
import json
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from studienav.core import services
from studienav.core.access import is_verified, staff_required
from studienav.core.appmodules import studienav_app_modules
from studienav.core.audit import audit_events_for
from studienav.core.errors import DomainError
from studienav.core.forms import (
    InvitationForm,
    LoginForm,
    ProfileForm,
    ReasonForm,
    RoleScopeForm,
    SetPasswordForm,
    TokenForm,
)
from studienav.core.jobs import jobs_overdue
from studienav.core.models import Language, RoleAssignment, User
from studienav.core.oidc import provider_name
from studienav.core.selectors import (
    active_roles,
    audit_events_visible_to,
    can_manage_people,
    dashboard_summary,
    invitations_visible_to,
    needs_second_factor,
    users_visible_to,
)
from studienav.core.spreadsheets import SpreadsheetCsvWriter


def _next_url(request: HttpRequest, default: str = "core:dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(default)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers and no scheduled job is over two intervals late."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        overdue = jobs_overdue()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    if overdue:
        answer = {"status": "error", "database": "ok", "jobs": "overdue", "overdue": overdue}
        return JsonResponse(answer, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What a person sees after too many failed sign-ins (same for every address)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "core/locked_out.html", {"cooloff_minutes": minutes}, status=429)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The region's identity provider, offered beside the password when turned on.
        context["identity_provider"] = provider_name()
        return context


@require_http_methods(["GET", "POST"])
@never_cache
def otp_verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("core:login")
    if not needs_second_factor(request.user) or is_verified(request):
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is wrong or has expired."))
    status = 422 if request.method == "POST" else 200
    return render(
        request, "core/otp_verify.html", {"form": form, "next": _next_url(request)}, status=status
    )


@require_http_methods(["GET", "POST"])
@never_cache
def otp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("core:login")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists() and not is_verified(request):
        return redirect("core:otp_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = services.totp_device_start(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_device_confirm(
                user=user, device=device, token=form.cleaned_data["token"]
            )
        except DomainError as error:
            form.add_error("token", error.message)
        else:
            otp_login(request, device)
            return render(
                request,
                "core/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    context = {
        "form": form,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, dark="#1b1b1b"),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": _next_url(request),
    }
    return render(
        request, "core/otp_setup.html", context, status=422 if request.method == "POST" else 200
    )


@require_http_methods(["GET", "POST"])
@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_by_token(token)
    if invitation is None:
        return render(request, "core/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    form = SetPasswordForm(
        request.POST or None, user=User(email=invitation.email, full_name=invitation.full_name)
    )
    if request.method == "POST" and (existing is not None or form.is_valid()):
        try:
            services.invitation_accept(
                invitation=invitation, password=form.cleaned_data.get("password", "")
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Welcome. Sign in to continue."))
            return redirect("core:login")
    context = {"invitation": invitation, "form": form, "existing": existing}
    status = 422 if request.method == "POST" else 200
    return render(request, "core/invitation_accept.html", context, status=status)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; a signed-in person keeps it for e-mails too."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in Language.values:
        services.user_set_language(user=request.user, language=language)
    return django_set_language(request)


@require_GET
@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    # Each capability may offer dashboard.py with dashboard_panels(user): what waits there.
    panels = [
        panel
        for module in studienav_app_modules("dashboard")
        for panel in module.dashboard_panels(request.user)
    ]
    context = {"summary": dashboard_summary(request.user), "panels": panels}
    return render(request, "core/dashboard.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=user,
            full_name=form.cleaned_data["full_name"],
            phone=form.cleaned_data["phone"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your profile is saved."))
        response = redirect("core:profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    context = {"form": form, "roles": active_roles(user)}
    return render(request, "core/profile.html", context, status=422 if form.errors else 200)


@require_POST
@staff_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    codes = services.recovery_codes_regenerate(user=request.user)
    return render(request, "core/recovery_codes.html", {"codes": codes, "next": ""})


@require_http_methods(["GET", "POST"])
@staff_required
def people(request: HttpRequest) -> HttpResponse:
    if not can_manage_people(request.user):
        raise Http404
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        data = form.cleaned_data
        try:
            services.user_invite(
                by=request.user,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                region=data["region"],
                organisation=data["organisation"],
                language=data["language"],
            )
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("The invitation is sent."))
            return redirect("core:people")
    context = {
        "form": form,
        "people": users_visible_to(request.user).prefetch_related(
            "roles__region", "roles__organisation"
        ),
        "invitations": invitations_visible_to(request.user)[:50],
    }
    return render(request, "core/people.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@staff_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(users_visible_to(request.user), pk=pk)
    manage = can_manage_people(request.user)
    form = RoleScopeForm(request.POST or None)
    reason_form = ReasonForm()
    if request.method == "POST":
        if not manage:
            raise Http404
        if form.is_valid():
            assert isinstance(request.user, User)
            try:
                services.role_grant(
                    by=request.user,
                    user=person,
                    role=form.cleaned_data["role"],
                    region=form.cleaned_data["region"],
                    organisation=form.cleaned_data["organisation"],
                )
            except DomainError as error:
                form.add_error(error.field, error.message)
            else:
                messages.success(request, _("The role is granted."))
                return redirect("core:person", pk=person.pk)
    context: dict[str, Any] = {
        "person": person,
        "assignments": person.roles.select_related("region", "organisation"),
        "form": form,
        "reason_form": reason_form,
        "manage": manage,
    }
    return render(request, "core/person.html", context, status=422 if form.errors else 200)


@require_POST
@staff_required
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_manage_people(request.user):
        raise Http404
    assignment = get_object_or_404(RoleAssignment.objects.select_related("user"), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for ending the role."))
        return redirect("core:person", pk=assignment.user_id)
    assert isinstance(request.user, User)
    try:
        services.role_revoke(
            by=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The role has ended."))
    return redirect("core:person", pk=assignment.user_id)


@require_GET
@staff_required
def history(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    visible = audit_events_visible_to(request.user)
    events = audit_events_for(object_type=object_type, object_id=object_id) & visible
    if not events.exists():
        raise Http404
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="history-{object_type}-{object_id}.csv"'
        )
        writer = SpreadsheetCsvWriter(response)
        writer.writerow(
            ["id", "occurred_at", "actor", "role", "action", "changes", "reason", "request_id"]
        )
        for event in events:
            writer.writerow(
                [
                    event.id,
                    event.occurred_at.isoformat(),
                    event.actor.email if event.actor else "",
                    event.actor_role,
                    event.action,
                    json.dumps(event.changes, ensure_ascii=False),
                    event.reason,
                    event.request_id,
                ]
            )
        return response
    context = {"events": events, "object_type": object_type, "object_id": object_id}
    return render(request, "core/history.html", context)
