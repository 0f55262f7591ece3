"""Pages of the study requests: thin views over the selectors and services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studienav.core.access import request_user, role_required, staff_required
from studienav.core.appmodules import studienav_app_modules
from studienav.core.errors import DomainError, PermissionDenied
from studienav.core.forms import form_attempt
from studienav.core.models import Role, User
from studienav.core.pdf import pdf_response
from studienav.core.selectors import node_regions, organisations_where
from studienav.feasibility import exchange, figures, services
from studienav.feasibility import forms as f
from studienav.feasibility.models import (
    Answer,
    AnswerChannel,
    DeclineReason,
    RegionPart,
    StudyRequest,
)
from studienav.feasibility.selectors import (
    can_coordinate,
    can_manage_requests,
    is_sponsor_of,
    parts_visible_to,
    recipient_suggestions,
    recipients_of,
    recipients_visible_to,
    requests_visible_to,
)
from studienav.registry.models import Study

T = TypeVar("T")


def _request_for(request: HttpRequest, pk: int) -> StudyRequest:
    return get_object_or_404(requests_visible_to(request_user(request)), pk=pk)


@require_GET
@staff_required
def request_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    context = {
        "requests": requests_visible_to(user).select_related("sponsor_organisation"),
        "can_submit": organisations_where(user, Role.SPONSOR).exists(),
        "can_manage": can_manage_requests(user),
    }
    return render(request, "feasibility/list.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def submit(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    organisations = organisations_where(user, Role.SPONSOR)
    if not organisations.exists():
        raise Forbidden
    form = f.RequestForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        uploads = request.FILES.getlist("attachment")
        created = form_attempt(
            form,
            lambda: services.request_submit(
                by=user,
                organisation=form.cleaned_data["organisation"],
                data=form.request_data(),
                attachments=uploads,
            ),
        )
        if created is not None:
            messages.success(
                request,
                _("Your request is received. Reference %(ref)s.") % {"ref": created.reference},
            )
            return redirect(created)
    status = 422 if form.errors else 200
    return render(request, "feasibility/submit.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def register(request: HttpRequest) -> HttpResponse:
    from studienav.core.models import Organisation

    user = request_user(request)
    form = f.RegisterForm(
        request.POST or None, request.FILES or None, organisations=Organisation.objects.all()
    )
    if request.method == "POST" and form.is_valid():
        uploads = request.FILES.getlist("attachment")
        received = timezone.make_aware(datetime.combine(form.cleaned_data["received_on"], time(9)))
        created = form_attempt(
            form,
            lambda: services.request_register(
                by=user,
                organisation=form.cleaned_data["organisation"],
                channel=form.cleaned_data["channel"],
                data=form.request_data(),
                received_at=received,
                attachments=uploads,
            ),
        )
        if created is not None:
            return redirect(created)
    status = 422 if form.errors else 200
    return render(request, "feasibility/register.html", {"form": form}, status=status)


@require_GET
@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    study_request = _request_for(request, pk)
    parts = list(parts_visible_to(user, study_request))
    manage = can_manage_requests(user)
    context: dict[str, Any] = {
        "req": study_request,
        "parts": parts,
        "coordinated": [p for p in parts if can_coordinate(user, p)],
        "recipients": recipients_visible_to(user, study_request),
        "my_recipients": recipients_of(user).filter(part__request=study_request),
        "is_sponsor": is_sponsor_of(user, study_request),
        "can_manage": manage,
        "pauses": study_request.pauses.all(),
        "answers_elsewhere": _answers_elsewhere(
            [p for p in parts if manage or can_coordinate(user, p)]
        ),
        "attachments": study_request.attachments.all(),
    }
    # Other capabilities' parts of the request (patient counts' answers), by name.
    context["panels"] = [
        panel
        for module in studienav_app_modules("feasibility_panels")
        if (panel := module.request_panel(user, study_request))
    ]
    if manage:
        context["question_form"] = f.QuestionForm()
        context["forward_form"] = f.ForwardForm(regions=node_regions())
        context["not_forward_form"] = f.NotForwardForm()
    if context["is_sponsor"] or manage:
        context["clarification_form"] = f.ClarificationForm()
    return render(request, "feasibility/detail.html", context)


def _answers_elsewhere(parts: list[RegionPart]) -> list[dict[str, Any]]:
    """Clinic answers imported with a compiled answer, with the reason as its label."""
    rows = []
    for part in parts:
        for answer in part.answers_elsewhere:
            reason = answer.get("decline_reason") or ""
            label = DeclineReason(reason).label if reason in DeclineReason.values else reason
            rows.append({"region": part.region.short_name, **answer, "reason": label})
    return rows


def _post_step(
    request: HttpRequest,
    pk: int,
    form_class: type[forms.Form],
    step: Callable[[User, StudyRequest, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """A one-form step on the detail page: on error the form is shown on its own page."""
    study_request = _request_for(request, pk)
    form = form_class(request.POST)
    if (
        form.is_valid()
        and form_attempt(
            form, lambda: step(request_user(request), study_request, form.cleaned_data)
        )
        is not None
    ):
        messages.success(request, done)
        return redirect(study_request)
    return render(
        request, "feasibility/step.html", {"req": study_request, "form": form}, status=422
    )


@require_POST
@staff_required
def ask_clarification(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_step(
        request,
        pk,
        f.QuestionForm,
        lambda by, r, d: services.request_ask_clarification(
            by=by, request=r, question=d["question"]
        ),
        _("The question is sent to the sponsor; the clock is stopped."),
    )


@require_POST
@staff_required
def clarified(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_step(
        request,
        pk,
        f.ClarificationForm,
        lambda by, r, d: services.request_clarified(
            by=by, request=r, clarification=d["clarification"]
        ),
        _("Thank you: the clarification is recorded."),
    )


@require_POST
@staff_required
def not_forward(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_step(
        request,
        pk,
        f.NotForwardForm,
        lambda by, r, d: services.request_not_forward(by=by, request=r, reason=d["reason"]),
        _("The request is closed without forwarding."),
    )


@require_POST
@staff_required
def forward(request: HttpRequest, pk: int) -> HttpResponse:
    study_request = _request_for(request, pk)
    form = f.ForwardForm(request.POST, regions=node_regions())
    if form.is_valid():
        done = form_attempt(
            form,
            lambda: services.request_forward(
                by=request_user(request),
                request=study_request,
                regions=list(form.cleaned_data["regions"]),
                note=form.cleaned_data["note"],
            ),
        )
        if done is not None:
            messages.success(request, _("The request is forwarded."))
            return redirect(study_request)
    return render(
        request, "feasibility/step.html", {"req": study_request, "form": form}, status=422
    )


def _part_for(request: HttpRequest, pk: int, code: str) -> RegionPart:
    study_request = _request_for(request, pk)
    part = get_object_or_404(study_request.parts.select_related("region"), region__code=code)
    if not can_coordinate(request_user(request), part):
        raise Http404
    return part


@require_http_methods(["GET", "POST"])
@staff_required
def recipients(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    part = _part_for(request, pk, code)
    suggestions = recipient_suggestions(part.request, part.region)
    by_key = {f"{s.organisation.pk}:{s.email}": s for s in suggestions if s.email}
    choices = [
        (key, f"{s.organisation} — {s.investigator} <{s.email}>") for key, s in by_key.items()
    ]
    form = f.RecipientsForm(request.POST or None, suggestions=choices)
    if request.method == "POST" and form.is_valid():
        picked = [
            services.RecipientChoice(
                name=by_key[k].investigator or str(by_key[k].organisation),
                email=by_key[k].email,
                organisation=by_key[k].organisation,
            )
            for k in form.cleaned_data["suggested"]
        ]
        picked += [
            services.RecipientChoice(name=name, email=email)
            for name, email in form.cleaned_data["others"]
        ]
        created = form_attempt(
            form,
            lambda: services.recipients_select(by=request_user(request), part=part, choices=picked),
        )
        if created is not None:
            messages.success(
                request, _("%(n)s recipients are asked by e-mail.") % {"n": len(created)}
            )
            return redirect(part.request)
    context = {"part": part, "req": part.request, "form": form, "suggestions": suggestions}
    return render(
        request, "feasibility/recipients.html", context, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@staff_required
def compile_region(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    part = _part_for(request, pk, code)
    form = f.CompileForm(request.POST or None, initial={"summary": part.summary})
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.region_compile(
                by=request_user(request), part=part, summary=form.cleaned_data["summary"]
            ),
        )
        if done is not None:
            messages.success(request, _("The region's answer is compiled."))
            return redirect(part.request)
    context = {
        "part": part,
        "req": part.request,
        "form": form,
        "recipients": part.recipients.select_related("answer", "organisation"),
    }
    return render(request, "feasibility/compile.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def send_answer(request: HttpRequest, pk: int) -> HttpResponse:
    study_request = _request_for(request, pk)
    parts = list(study_request.parts.select_related("region"))
    draft = "\n\n".join(
        [f"{p.region.short_name}: {p.summary}" for p in parts if p.is_compiled]
        + [
            line
            for module in studienav_app_modules("feasibility_panels")
            for line in module.answer_lines(study_request)
        ]
    )
    form = f.SendForm(request.POST or None, initial={"answer": draft})
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.answer_send(
                by=request_user(request),
                request=study_request,
                answer=form.cleaned_data["answer"],
                late_reason=form.cleaned_data["late_reason"],
            ),
        )
        if done is not None:
            messages.success(request, _("The answer is sent to the sponsor."))
            return redirect(study_request)
    context = {
        "req": study_request,
        "form": form,
        "waiting": [p.region.short_name for p in parts if not p.is_compiled],
    }
    return render(request, "feasibility/send.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def send_supplement(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    study_request = _request_for(request, pk)
    part = get_object_or_404(study_request.parts.select_related("region"), region__code=code)
    initial = {"text": f"{part.region.short_name}: {part.summary}"}
    form = f.SupplementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.answer_supplement_send(
                by=request_user(request), part=part, text=form.cleaned_data["text"]
            ),
        )
        if done is not None:
            messages.success(request, _("The supplement is sent to the sponsor."))
            return redirect(study_request)
    context = {"req": study_request, "part": part, "form": form}
    return render(
        request, "feasibility/supplement.html", context, status=422 if form.errors else 200
    )


IMPORT_MAX_BYTES = exchange.MAX_BYTES


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def import_document(request: HttpRequest) -> HttpResponse:
    """Upload an exchange document: a request to register or a compiled answer to record."""
    form = f.DocumentImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["document"]
        if upload.size > IMPORT_MAX_BYTES:
            form.add_error("document", _("The file is larger than 5 MB."))
        else:
            done = form_attempt(form, lambda: _import(request_user(request), upload.read()))
            if done is not None:
                messages.success(request, done[1])
                return redirect(done[0])
    return render(
        request, "feasibility/import.html", {"form": form}, status=422 if form.errors else 200
    )


def _import(by: User, text: bytes) -> tuple[StudyRequest, str]:
    try:
        document = exchange.document_parse(text)
        if isinstance(document, exchange.RequestDocument):
            created = services.request_import(by=by, record=document.request)
            return created, _("Request %(ref)s is registered.") % {"ref": created.reference}
        result = services.answer_import(by=by, record=document.answer)
    except PermissionDenied:
        raise
    except DomainError as error:
        # The error names a field path inside the document: show it with the upload field.
        where = f"{error.field}: " if error.field else ""
        raise DomainError(
            code=error.code, field="document", message=where + error.message
        ) from error
    if result.changed:
        message = _("The answer to %(ref)s is recorded.")
    else:
        message = _("Nothing changed: the answer to %(ref)s was already recorded.")
    return result.request, message % {"ref": result.request.reference}


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    study_request = _request_for(request, pk)
    form = f.OutcomeForm(
        request.POST or None, studies=Study.objects.filter(merged_into__isnull=True)
    )
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.outcome_record(
                by=request_user(request),
                request=study_request,
                outcome=form.cleaned_data["outcome"],
                study=form.cleaned_data["study"],
            ),
        )
        if done is not None:
            return redirect(study_request)
    return render(
        request,
        "feasibility/step.html",
        {"req": study_request, "form": form},
        status=422 if form.errors else 200,
    )


@require_GET
@staff_required
def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    study_request = _request_for(request, pk)
    item = get_object_or_404(study_request.attachments, pk=attachment_pk)
    path = services.attachment_dir() / item.stored_name
    if not path.is_file():
        raise Http404
    # At most 20 MB; read whole so that staff_required can add its no-store headers.
    return pdf_response(path.read_bytes(), item.original_name)


def _answer_page(
    request: HttpRequest, recipient: Any, channel: str, by: User | None
) -> HttpResponse:
    answered = Answer.objects.filter(recipient=recipient).first()
    form = f.AnswerForm(request.POST or None)
    if answered is None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = form_attempt(
            form,
            lambda: services.answer_submit(
                recipient=recipient,
                by=by,
                channel=channel,
                is_interested=data["is_interested"],
                eligible_patients_per_year=data["eligible_patients_per_year"],
                capacity=data["capacity"],
                competing_studies=data["competing_studies"],
                decline_reason=data["decline_reason"],
                comment=data["comment"],
            ),
        )
        if done is not None:
            answered = done
    context = {
        "recipient": recipient,
        "req": recipient.part.request,
        "form": form,
        "answer": answered,
        "through_link": channel == AnswerChannel.LINK,
    }
    response = render(
        request, "feasibility/answer.html", context, status=422 if form.errors else 200
    )
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def answer_link(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link from the e-mail: opens the answer form for this one request."""
    recipient = services.recipient_by_link(token)
    if recipient is None:
        response = render(request, "feasibility/link_invalid.html", status=404)
        add_never_cache_headers(response)
        return response
    # Whoever is signed in is who answers: the link works for anyone who holds it.
    user = request.user if isinstance(request.user, User) else None
    if request.method == "GET":
        services.recipient_link_open(recipient=recipient, by=user)
    return _answer_page(request, recipient, AnswerChannel.LINK, user)


@require_http_methods(["GET", "POST"])
@staff_required
def answer(request: HttpRequest, pk: int, recipient_pk: int) -> HttpResponse:
    """The same answer form for a recipient who signs in."""
    recipient = get_object_or_404(
        recipients_of(request_user(request)), pk=recipient_pk, part__request=pk
    )
    return _answer_page(request, recipient, AnswerChannel.ACCOUNT, request_user(request))


@require_GET
@role_required(Role.NODE_OFFICE)
def figures_page(request: HttpRequest) -> HttpResponse:
    try:
        year = int(request.GET.get("year", "")) if request.GET.get("year") else None
    except ValueError:
        year = None
    context = {"year": year, "figures": figures.all_figures(year)}
    return render(request, "feasibility/figures.html", context)
