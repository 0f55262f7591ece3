"""Pages of health-data disclosure on the request side: the form, the check, the status view,
node office's overview, common notes and the audit trail. The case pages are in case_views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studienav.core.access import request_user, role_required, staff_required
from studienav.core.forms import form_attempt
from studienav.core.models import Role, User
from studienav.core.pdf import pdf_response
from studienav.core.selectors import is_node_office, node_regions, organisations_where
from studienav.disclosure import files, services, trail
from studienav.disclosure import forms as f
from studienav.disclosure.deadlines import case_deadline
from studienav.disclosure.models import CommonNote, DisclosureRequest, NoteKind, RegionCase
from studienav.disclosure.selectors import (
    can_keep_common_notes,
    cases_handled_by,
    cases_visible_to,
    common_notes_visible_to,
    is_requester_of,
    officer_regions,
    requests_visible_to,
)
from studienav.registry.models import Study
from studienav.registry.selectors import studies_editable_by

T = TypeVar("T")


def _request_for(request: HttpRequest, pk: int) -> DisclosureRequest:
    return get_object_or_404(requests_visible_to(request_user(request)), pk=pk)


def _own_draft(request: HttpRequest, pk: int) -> DisclosureRequest:
    found = _request_for(request, pk)
    if not is_requester_of(request_user(request), found):
        raise Http404
    return found


def _form_kwargs(user: User) -> dict[str, QuerySet[Any]]:
    organisations = organisations_where(user, Role.RESEARCHER)
    studies: QuerySet[Study] = studies_editable_by(user)
    return {"organisations": organisations, "studies": studies}


@require_GET
@staff_required
def request_list(request: HttpRequest) -> HttpResponse:
    """The person's own requests, and the cases of the regions they handle."""
    user = request_user(request)
    context = {
        "own": DisclosureRequest.objects.filter(requester=user).prefetch_related("cases__region"),
        "can_request": services.can_request(user),
        "cases": [(c, case_deadline(c)) for c in cases_handled_by(user).order_by("-received_at")],
        "is_office": is_node_office(user),
    }
    return render(request, "disclosure/list.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def request_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not services.can_request(user):
        raise Forbidden
    form = f.RequestForm(request.POST or None, **_form_kwargs(user))
    if request.method == "POST" and form.is_valid():
        created = form_attempt(
            form, lambda: services.request_create(by=user, data=form.request_data())
        )
        if created is not None:
            messages.success(request, _("The draft is saved. Add ethics approvals and data."))
            return redirect(created)
    status = 422 if form.errors else 200
    return render(request, "disclosure/form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    draft = _own_draft(request, pk)
    if not draft.is_draft:
        return redirect(draft)
    form = f.RequestForm(request.POST or None, instance=draft, **_form_kwargs(user))
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.request_update(by=user, request=draft, data=form.request_data()),
        )
        if done is not None:
            messages.success(request, _("The draft is saved."))
            return redirect(draft)
    status = 422 if form.errors else 200
    return render(request, "disclosure/form.html", {"form": form, "req": draft}, status=status)


def _draft_context(user: User, draft: DisclosureRequest) -> dict[str, Any]:
    return {
        "ethics_form": f.EthicsForm(),
        "data_form": f.DataWantedForm(regions=node_regions()),
        "attachment_form": f.AttachmentForm(),
        "missing": services.request_missing(draft),
    }


def _status_rows(cases: QuerySet[RegionCase]) -> list[dict[str, Any]]:
    rows = []
    for case in cases.select_related("region", "decision", "delivery").prefetch_related("messages"):
        rows.append(
            {
                "case": case,
                "decision": getattr(case, "decision", None),
                "delivery": getattr(case, "delivery", None),
                "deadline": case_deadline(case),
            }
        )
    return rows


@require_GET
@staff_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft with its parts, or, once submitted, every region's status on one page."""
    user = request_user(request)
    found = _request_for(request, pk)
    is_requester = is_requester_of(user, found)
    cases = cases_visible_to(user).filter(request=found)
    context: dict[str, Any] = {
        "req": found,
        "is_requester": is_requester,
        "approvals": found.ethics_approvals.prefetch_related("attachments"),
        "wanted": found.data_wanted.select_related("region"),
        "attachments": found.attachments.filter(ethics_approval__isnull=True),
        "rows": _status_rows(cases),
        "handled": set(officer_regions(user).values_list("pk", flat=True)),
        "notes": common_notes_visible_to(user, found).filter(kind=NoteKind.NOTE),
        "questions": common_notes_visible_to(user, found)
        .filter(kind=NoteKind.QUESTION)
        .prefetch_related("answers__region", "answers__author"),
        "can_office": can_keep_common_notes(user),
    }
    if found.is_draft and is_requester:
        context.update(_draft_context(user, found))
    if is_requester:
        context["answer_form"] = f.ClarificationAnswerForm()
    if context["can_office"]:
        context["note_form"] = f.NoteForm()
    if context["handled"] & {r["case"].region_id for r in context["rows"]}:
        context["question_answer_form"] = f.NoteForm()
    return render(request, "disclosure/request.html", context)


def _draft_step(
    request: HttpRequest,
    draft: DisclosureRequest,
    form: forms.BaseForm,
    step: Callable[[], object],
    done: str,
) -> HttpResponse:
    """A form on the draft page: on success back to the draft, on error the form on its own."""
    if form.is_valid() and form_attempt(form, step) is not None:
        messages.success(request, done)
        return redirect(draft)
    return render(
        request, "disclosure/step.html", {"req": draft, "form": form, "upload": True}, status=422
    )


@require_POST
@staff_required
def ethics_add(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _own_draft(request, pk)
    form = f.EthicsForm(request.POST, request.FILES)
    return _draft_step(
        request,
        draft,
        form,
        lambda: services.ethics_approval_add(
            by=request_user(request),
            request=draft,
            kind=form.cleaned_data["kind"],
            case_number=form.cleaned_data["case_number"],
            decided_on=form.cleaned_data["decided_on"],
            decision_pdf=form.cleaned_data["decision"],
        ),
        _("The ethics approval is added."),
    )


@require_POST
@staff_required
def ethics_remove(request: HttpRequest, pk: int, approval_pk: int) -> HttpResponse:
    draft = _own_draft(request, pk)
    approval = get_object_or_404(draft.ethics_approvals, pk=approval_pk)
    form = f.ReasonForm(request.POST)
    return _draft_step(
        request,
        draft,
        form,
        lambda: (
            services.ethics_approval_remove(by=request_user(request), approval=approval) or True
        ),
        _("The ethics approval is removed."),
    )


@require_POST
@staff_required
def data_wanted_add(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _own_draft(request, pk)
    form = f.DataWantedForm(request.POST, regions=node_regions())
    return _draft_step(
        request,
        draft,
        form,
        lambda: services.data_wanted_set(
            by=request_user(request),
            request=draft,
            regions=list(form.cleaned_data["regions"]),
            data=form.wanted_data(),
        ),
        _("The data wanted is saved for the regions ticked."),
    )


@require_POST
@staff_required
def data_wanted_remove(request: HttpRequest, pk: int, wanted_pk: int) -> HttpResponse:
    draft = _own_draft(request, pk)
    item = get_object_or_404(draft.data_wanted, pk=wanted_pk)
    form = f.ReasonForm(request.POST)
    return _draft_step(
        request,
        draft,
        form,
        lambda: services.data_wanted_remove(by=request_user(request), item=item) or True,
        _("The region is removed from the request."),
    )


@require_POST
@staff_required
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _own_draft(request, pk)
    form = f.AttachmentForm(request.POST, request.FILES)
    return _draft_step(
        request,
        draft,
        form,
        lambda: services.attachment_add(
            by=request_user(request),
            request=draft,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        ),
        _("The document is attached."),
    )


@require_POST
@staff_required
def attachment_remove(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    draft = _own_draft(request, pk)
    item = get_object_or_404(draft.attachments, pk=attachment_pk)
    form = f.ReasonForm(request.POST)
    return _draft_step(
        request,
        draft,
        form,
        lambda: services.attachment_remove(by=request_user(request), attachment=item) or True,
        _("The document is removed."),
    )


@require_GET
@staff_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """Served only to those who may read the request, from the private directory."""
    found = _request_for(request, pk)
    item = get_object_or_404(found.attachments, pk=attachment_pk)
    content = files.stored_read(item.stored_name)
    if content is None:
        raise Http404
    return pdf_response(content, item.original_name)


@require_http_methods(["GET", "POST"])
@staff_required
def request_check(request: HttpRequest, pk: int) -> HttpResponse:
    """What is missing, listed; when nothing is, submit to every region named at once."""
    user = request_user(request)
    draft = _own_draft(request, pk)
    if not draft.is_draft:
        return redirect(draft)
    form = forms.Form(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        cases = form_attempt(form, lambda: services.request_submit(by=user, request=draft))
        if cases is not None:
            messages.success(
                request,
                _("The request is submitted to %(n)s regions.") % {"n": len(cases)},
            )
            return redirect(draft)
    context = {
        "req": draft,
        "form": form,
        "missing": services.request_missing(draft),
        "wanted": draft.data_wanted.select_related("region"),
    }
    return render(request, "disclosure/check.html", context, status=422 if form.errors else 200)


@require_GET
@staff_required
def request_trail(request: HttpRequest, pk: int) -> HttpResponse:
    """Every audited step of the request and its cases that the person may read."""
    user = request_user(request)
    found = _request_for(request, pk)
    context = {"req": found, "events": trail.events_visible_to(user, found)}
    return render(request, "disclosure/trail.html", context)


@require_POST
@role_required(Role.NODE_OFFICE)
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    found = _request_for(request, pk)
    form = f.NoteForm(request.POST)
    kind = request.POST.get("kind", NoteKind.NOTE)
    service = services.node_question_send if kind == NoteKind.QUESTION else services.common_note_add
    done = (
        _("The question is sent to every region of the request.")
        if kind == NoteKind.QUESTION
        else _("The note is saved.")
    )
    if form.is_valid() and (
        form_attempt(
            form,
            lambda: service(
                by=request_user(request), request=found, text=form.cleaned_data["text"]
            ),
        )
        is not None
    ):
        messages.success(request, done)
        return redirect(found)
    return render(request, "disclosure/step.html", {"req": found, "form": form}, status=422)


@require_POST
@role_required(Role.DISCLOSURE_OFFICER)
def question_answer(request: HttpRequest, pk: int, note_pk: int, code: str) -> HttpResponse:
    found = _request_for(request, pk)
    question: CommonNote = get_object_or_404(
        common_notes_visible_to(request_user(request), found), pk=note_pk, kind=NoteKind.QUESTION
    )
    region = get_object_or_404(officer_regions(request_user(request)), code=code)
    form = f.NoteForm(request.POST)
    if form.is_valid() and (
        form_attempt(
            form,
            lambda: services.node_question_answer(
                by=request_user(request),
                question=question,
                region=region,
                text=form.cleaned_data["text"],
            ),
        )
        is not None
    ):
        messages.success(request, _("Your region's answer is saved."))
        return redirect(found)
    return render(request, "disclosure/step.html", {"req": found, "form": form}, status=422)


@require_GET
@role_required(Role.NODE_OFFICE)
def overview(request: HttpRequest) -> HttpResponse:
    """Node office: every submitted request with each region's state, and the figures."""
    from studienav.disclosure import figures

    requests = (
        requests_visible_to(request_user(request))
        .exclude(state="draft")
        .select_related("requester")
        .prefetch_related("cases__region")
    )
    regions = list(node_regions())
    rows = []
    for item in requests:
        by_region = {c.region_id: c for c in item.cases.all()}
        rows.append({"req": item, "cells": [by_region.get(r.pk) for r in regions]})
    context = {
        "rows": rows,
        "regions": regions,
        "lead_times": figures.lead_time_per_region(),
        "decisions": figures.decisions_by_kind(),
    }
    return render(request, "disclosure/overview.html", context)
