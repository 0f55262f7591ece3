"""Pages of one region's case: the officer's workspace (assign, assess, clarify, decide,
deliver, close), the requester's answer to a clarification, the decision PDF and the case
file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from studienav.core.access import request_user, staff_required
from studienav.core.forms import form_attempt
from studienav.core.models import Language, Role, RoleAssignment, User
from studienav.core.pdf import pdf_response
from studienav.disclosure import casework, documents, files, trail
from studienav.disclosure import forms as f
from studienav.disclosure.deadlines import case_deadline, lead_time
from studienav.disclosure.models import CaseState, RegionCase
from studienav.disclosure.selectors import (
    assessments_visible_to,
    can_handle,
    cases_visible_to,
    is_requester_of,
)


def _case_for(request: HttpRequest, pk: int) -> RegionCase:
    return get_object_or_404(cases_visible_to(request_user(request)), pk=pk)


def _handled_case(request: HttpRequest, pk: int) -> RegionCase:
    """The case, for its own region's officers; 404 for everyone else."""
    case = _case_for(request, pk)
    if not can_handle(request_user(request), case):
        raise Http404
    return case


def _officers(case: RegionCase) -> Any:
    return User.objects.filter(
        pk__in=RoleAssignment.objects.active()
        .filter(role=Role.DISCLOSURE_OFFICER, region=case.region)
        .values("user")
    )


def _forms(case: RegionCase, user: User) -> dict[str, forms.Form]:
    """The forms of the steps possible in the case's state."""
    found: dict[str, forms.Form] = {}
    if case.state != CaseState.CLOSED:
        found["assign_form"] = f.AssignForm(
            officers=_officers(case), initial={"handler": case.handler_id or user.pk}
        )
    if case.state in (CaseState.ASSIGNED, CaseState.ASSESSING):
        found["assessment_form"] = f.AssessmentForm()
    if case.state in (CaseState.ASSIGNED, CaseState.ASSESSING, CaseState.CLARIFICATION):
        found["question_form"] = f.QuestionToRequesterForm()
    if case.state == CaseState.ASSESSING:
        found["decision_form"] = f.DecisionForm(
            initial={"language": case.request.decision_language}
        )
    decision = getattr(case, "decision", None)
    if case.state == CaseState.DECIDED and decision is not None and decision.is_approving:
        found["delivery_form"] = f.DeliveryForm(initial={"delivered_on": timezone.localdate()})
    if case.state == CaseState.DELIVERED or (
        case.state == CaseState.DECIDED and decision is not None and not decision.is_approving
    ):
        found["close_form"] = f.ReasonForm()
    return found


def _context(case: RegionCase, user: User, **extra: Any) -> dict[str, Any]:
    handles = can_handle(user, case)
    context: dict[str, Any] = {
        "case": case,
        "req": case.request,
        "handles": handles,
        "is_requester": is_requester_of(user, case.request),
        "assessments": assessments_visible_to(user, case),
        "thread": case.messages.select_related("author"),
        "decision": getattr(case, "decision", None),
        "delivery": getattr(case, "delivery", None),
        "deadline": case_deadline(case),
        "lead_time": lead_time(case),
        "wanted": case.request.data_wanted.filter(region=case.region).first(),
    }
    if handles:
        context.update(_forms(case, user))
    if context["is_requester"] and case.state == CaseState.CLARIFICATION:
        context["answer_form"] = f.ClarificationAnswerForm()
    context.update(extra)
    return context


@require_GET
@staff_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    return render(request, "disclosure/case.html", _context(case, request_user(request)))


def _case_step(
    request: HttpRequest,
    case: RegionCase,
    form: forms.Form,
    name: str,
    step: Callable[[], object],
    done: str,
    *,
    then: Any = None,
) -> HttpResponse:
    """One step on the case page: on error the page again, with this form showing its errors;
    on success the case page again (or `then`)."""
    if form.is_valid() and form_attempt(form, step) is not None:
        messages.success(request, done)
        return redirect(then or case)
    context = _context(case, request_user(request), **{name: form})
    return render(request, "disclosure/case.html", context, status=422)


@require_POST
@staff_required
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = _handled_case(request, pk)
    form = f.AssignForm(request.POST, officers=_officers(case))
    return _case_step(
        request,
        case,
        form,
        "assign_form",
        lambda: casework.case_assign(
            by=request_user(request),
            case=case,
            handler=form.cleaned_data["handler"],
            reason=form.cleaned_data["reason"],
        ),
        _("The case handler is assigned."),
    )


@require_POST
@staff_required
def case_assess(request: HttpRequest, pk: int) -> HttpResponse:
    case = _handled_case(request, pk)
    form = f.AssessmentForm(request.POST)
    return _case_step(
        request,
        case,
        form,
        "assessment_form",
        lambda: casework.case_assess(by=request_user(request), case=case, **form.cleaned_data),
        _("The secrecy assessment is recorded."),
    )


@require_POST
@staff_required
def case_clarify(request: HttpRequest, pk: int) -> HttpResponse:
    case = _handled_case(request, pk)
    form = f.QuestionToRequesterForm(request.POST)
    return _case_step(
        request,
        case,
        form,
        "question_form",
        lambda: casework.case_clarification_ask(
            by=request_user(request), case=case, text=form.cleaned_data["text"]
        ),
        _("The question is sent to the requester; the clock is paused."),
    )


@require_POST
@staff_required
def case_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester's answer in the clarification thread."""
    case = _case_for(request, pk)
    if not is_requester_of(request_user(request), case.request):
        raise Http404
    form = f.ClarificationAnswerForm(request.POST)
    return _case_step(
        request,
        case,
        form,
        "answer_form",
        lambda: casework.case_clarification_answer(
            by=request_user(request), case=case, text=form.cleaned_data["text"]
        ),
        _("Thank you: your answer is sent to %(region)s.") % {"region": case.region.short_name},
        then=case.request,
    )


@require_POST
@staff_required
def case_decide(request: HttpRequest, pk: int) -> HttpResponse:
    case = _handled_case(request, pk)
    form = f.DecisionForm(request.POST)
    return _case_step(
        request,
        case,
        form,
        "decision_form",
        lambda: casework.case_decide(by=request_user(request), case=case, **form.cleaned_data),
        _("The decision is made and its PDF generated."),
    )


@require_POST
@staff_required
def case_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    case = _handled_case(request, pk)
    form = f.DeliveryForm(request.POST)
    return _case_step(
        request,
        case,
        form,
        "delivery_form",
        lambda: casework.case_delivery_record(
            by=request_user(request), case=case, **form.cleaned_data
        ),
        _("The delivery is recorded."),
    )


@require_POST
@staff_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _handled_case(request, pk)
    form = f.ReasonForm(request.POST)
    return _case_step(
        request,
        case,
        form,
        "close_form",
        lambda: casework.case_close(
            by=request_user(request), case=case, reason=form.cleaned_data["reason"]
        ),
        _("The case is closed."),
    )


def _language(request: HttpRequest, default: str) -> str:
    asked = request.GET.get("language", "")
    return asked if asked in Language.values else default


@require_GET
@staff_required
def decision_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision as generated when made; in the other language on request (`?language=`)."""
    case = _case_for(request, pk)
    decision = getattr(case, "decision", None)
    if decision is None:
        raise Http404
    language = _language(request, decision.language)
    name = f"{case.reference}-{language}.pdf"
    if language == decision.language and decision.pdf_stored_name:
        stored = files.stored_read(decision.pdf_stored_name)
        if stored is None:
            raise Http404
        return pdf_response(stored, name, inline=True)
    return pdf_response(documents.decision_pdf(decision, language), name, inline=True)


@require_GET
@staff_required
def case_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole case as one PDF, for the region's own officers."""
    case = _handled_case(request, pk)
    language = _language(request, get_language() or "sv")
    content = documents.case_file_pdf(
        case, events=list(trail.events_of_case(case)), language=language
    )
    return pdf_response(content, f"{case.reference}-case-file.pdf")
