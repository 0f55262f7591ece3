"""Public pages of network activity: the course calendar and its feed, registration, the
links from the e-mails (cancel, evaluate, certificate), certificate verification and the
public document library."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from studienav.core.clients import client_rate_limited
from studienav.core.forms import form_attempt
from studienav.core.models import User
from studienav.core.pdf import pdf_response
from studienav.network import services
from studienav.network.certificates import certificate_pdf
from studienav.network.forms import CertificateLookupForm, EvaluationForm, RegistrationForm
from studienav.network.ical import sessions_ical
from studienav.network.library import version_path
from studienav.network.models import Document, DocumentVersion, RegistrationState, Topic
from studienav.network.selectors import (
    certificate_by_code,
    documents_public,
    documents_visible_to,
    seats_taken,
    session_public,
    sessions_upcoming,
    waiting_position,
)

T = TypeVar("T")


def _private(response: HttpResponse) -> HttpResponse:
    """Pages reached by a personal link are never kept by browsers or proxies."""
    add_never_cache_headers(response)
    return response


# The calendar -------------------------------------------------------------------------------


@require_GET
def courses(request: HttpRequest) -> HttpResponse:
    """Coming sessions of every course, with free seats."""
    sessions = list(sessions_upcoming())
    return render(request, "network/courses.html", {"sessions": sessions})


@require_GET
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """The coming sessions as an iCalendar feed."""
    body = sessions_ical(
        sessions_upcoming(), language=get_language() or "sv", name=_("Courses of the node")
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="courses.ics"'
    patch_cache_control(response, public=True, max_age=900)
    return response


@require_http_methods(["GET", "POST"])
def session(request: HttpRequest, pk: int) -> HttpResponse:
    """A session and its registration form: a seat while there are any, else the queue."""
    found = session_public(pk)
    if found is None or (found.is_cancelled and request.method == "POST"):
        raise Http404
    user = request.user if isinstance(request.user, User) else None
    initial: dict[str, Any] = {"language": get_language() or "sv"}
    if user is not None:
        initial.update(full_name=user.full_name, email=user.email, language=user.language)
    form = RegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        registration = form_attempt(
            form,
            lambda: services.registration_create(
                session=found,
                full_name=data["full_name"],
                email=data["email"],
                organisation=data["organisation"],
                language=data["language"],
                user=user,
            ),
        )
        if registration is not None:
            context: dict[str, Any] = {
                "session": found,
                "registration": registration,
                "position": waiting_position(registration),
            }
            return _private(render(request, "network/registered.html", context))
    taken = seats_taken(found)
    context = {
        "session": found,
        "form": form,
        "free": max(found.seats - taken, 0),
        "is_open": not found.is_cancelled and not found.has_started,
    }
    status = 422 if form.errors else 200
    return _private(render(request, "network/session.html", context, status=status))


# Links from the e-mails ----------------------------------------------------------------------


def _link_invalid(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "network/link_invalid.html", status=404))


@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """Cancel a registration from the link in the e-mail (a button, so a mail scanner that
    opens the link cancels nothing)."""
    registration = services.registration_by_cancel_token(token)
    if registration is None:
        return _link_invalid(request)
    form = forms.Form(request.POST if request.method == "POST" else None)
    done = False
    if request.method == "POST" and form.is_valid():
        done = (
            form_attempt(form, lambda: services.registration_cancel(registration=registration))
            is not None
        )
        registration.refresh_from_db()
    context = {
        "registration": registration,
        "session": registration.session,
        "form": form,
        "done": done,
        "can_cancel": registration.state in (RegistrationState.CONFIRMED, RegistrationState.WAITING)
        and not registration.session.has_started,
        "position": waiting_position(registration),
    }
    return _private(
        render(request, "network/cancel.html", context, status=422 if form.errors else 200)
    )


@require_http_methods(["GET", "POST"])
def evaluate(request: HttpRequest, token: str) -> HttpResponse:
    """The evaluation form after the course, from the certificate e-mail."""
    registration = services.registration_by_evaluation_token(token)
    if registration is None:
        return _link_invalid(request)
    form = EvaluationForm(request.POST or None)
    already = hasattr(registration, "evaluation")
    if request.method == "POST" and not already and form.is_valid():
        saved = form_attempt(
            form,
            lambda: services.evaluation_submit(registration=registration, answers=form.answers()),
        )
        if saved is not None:
            messages.success(request, _("Thank you, your answers are recorded."))
            already = True
    context = {"registration": registration, "form": form, "already": already}
    return _private(
        render(request, "network/evaluate.html", context, status=422 if form.errors else 200)
    )


@require_GET
def certificate_download(request: HttpRequest, token: str) -> HttpResponse:
    """The certificate PDF, from the link in the e-mail."""
    registration = services.registration_by_certificate_token(token)
    certificate = getattr(registration, "certificate", None) if registration else None
    if certificate is None:
        return _link_invalid(request)
    name = f"certificate-{certificate.code}.pdf"
    return _private(pdf_response(certificate_pdf(certificate), name))


# Verification --------------------------------------------------------------------------------


def _too_many(request: HttpRequest) -> bool:
    waited = client_rate_limited(
        request,
        scope="network:certificate-verify",
        limit=settings.NETWORK_VERIFY_RATE_LIMIT,
        window_seconds=3600,
    )
    return waited is not None


@require_GET
def certificate_lookup(request: HttpRequest) -> HttpResponse:
    """A form to type a certificate's code; it opens the verification page."""
    form = CertificateLookupForm(request.GET or None)
    if request.GET and form.is_valid():
        code = "".join(ch for ch in form.cleaned_data["code"].upper() if ch.isalnum())
        if len(code) == 12:
            return redirect("network:certificate_verify", code=f"{code[:4]}-{code[4:8]}-{code[8:]}")
        form.add_error("code", _("A verification code has twelve letters and digits."))
    return render(request, "network/certificate_lookup.html", {"form": form})


@require_GET
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Whether a certificate is valid: name, course, date and validity, nothing else."""
    if _too_many(request):
        return _private(render(request, "network/too_many.html", status=429))
    certificate = certificate_by_code(code)
    if certificate is None:
        return _private(
            render(request, "network/certificate_unknown.html", {"code": code[:20]}, status=404)
        )
    today = timezone.localdate()
    context = {
        "certificate": certificate,
        "course": certificate.registration.session.course,
        "is_valid": certificate.is_valid_on(today),
        "expired": certificate.valid_until is not None and certificate.valid_until < today,
    }
    return _private(render(request, "network/certificate_verify.html", context))


# The public library --------------------------------------------------------------------------


@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    """Public templates and support documents by topic."""
    by_topic: dict[str, list[Document]] = {}
    for document in documents_public().order_by("title"):
        by_topic.setdefault(document.topic, []).append(document)
    topics = [(Topic(key).label, by_topic[key]) for key in Topic.values if key in by_topic]
    return render(request, "network/documents.html", {"topics": topics})


@require_GET
def document_file(request: HttpRequest, pk: int, number: int) -> FileResponse:
    """One version of a document's file, if the person may see the document."""
    document = get_object_or_404(documents_visible_to(request.user), pk=pk)
    version = get_object_or_404(DocumentVersion, document=document, number=number)
    path = version_path(version)
    if not path.exists():
        raise Http404
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=version.file_name,
        content_type=version.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    if document.visibility != "public":
        add_never_cache_headers(response)
    return response
