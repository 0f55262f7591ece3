"""Pages of the research funding: thin views over the selectors and services.

Every page that shows an application's contents, scores or discussion gets the application
from `selectors.applications_visible_to`, so a conflicted member meets a 404 everywhere.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studienav.core.access import request_user, role_required, signed_in_required
from studienav.core.errors import DomainError
from studienav.core.forms import form_attempt
from studienav.core.models import Organisation, Region, Role, User
from studienav.core.pdf import pdf_response
from studienav.core.selectors import node_regions, organisations_where
from studienav.core.spreadsheets import SpreadsheetCsvWriter
from studienav.funding import figures, letters, selectors, services
from studienav.funding import forms as f
from studienav.funding.eligibility import budget_totals, eligibility_problems
from studienav.funding.models import (
    Application,
    ApplicationState,
    Call,
    CallState,
    Decision,
    FollowUpReport,
    ReviewAssignment,
    report_due_on,
)
from studienav.registry.selectors import studies_public, studies_visible_to

T = TypeVar("T")
View = TypeVar("View", bound=Callable[..., HttpResponse])


def _application(request: HttpRequest, pk: int) -> Application:
    """The one way a page gets an application: through the visibility rule."""
    return get_object_or_404(selectors.applications_visible_to(request_user(request)), pk=pk)


def _own_draft(request: HttpRequest, pk: int) -> Application:
    application = _application(request, pk)
    if application.main_applicant_id != request_user(request).pk:
        raise Http404
    return application


def _call(reference: str, user: Any) -> Call:
    return get_object_or_404(selectors.calls_visible_to(user), reference=reference)


def _status(form: forms.BaseForm) -> int:
    return 422 if form.errors else 200


# Public ---------------------------------------------------------------


@require_GET
def calls(request: HttpRequest) -> HttpResponse:
    """Open and coming calls, for everyone, with the ones decided before."""
    current = selectors.calls_open_and_coming()
    earlier = selectors.calls_public().exclude(pk__in=[c.pk for c in current])[:10]
    return render(request, "funding/calls.html", {"calls": current, "earlier": earlier})


@require_GET
def call(request: HttpRequest, reference: str) -> HttpResponse:
    the_call = _call(reference, request.user)
    context = {
        "call": the_call,
        "regions": node_regions(),
        "can_manage": selectors.can_manage_calls(request.user),
        "is_chair": selectors.is_chair(request.user),
        "can_see_committee": selectors.can_see_committee(request.user, the_call),
    }
    return render(request, "funding/call.html", context)


# Applicants ---------------------------------------------------------------


def _applicant_organisations(user: User) -> Any:
    """Organisations in the node's regions; the person's own first is the usual choice."""
    return Organisation.objects.filter(region__in=node_regions()).order_by("region__code", "name")


@require_http_methods(["GET", "POST"])
@signed_in_required
def apply(request: HttpRequest, reference: str) -> HttpResponse:
    user = request_user(request)
    the_call = _call(reference, user)
    own = organisations_where(user, Role.RESEARCHER, Role.SITE_STAFF).first()
    form = f.StartForm(
        request.POST or None,
        organisations=_applicant_organisations(user),
        initial={"organisation": own, "language": user.language},
    )
    if request.method == "POST" and form.is_valid():
        created = form_attempt(
            form,
            lambda: services.application_start(
                by=user,
                call=the_call,
                title=form.cleaned_data["title"],
                organisation=form.cleaned_data["organisation"],
                language=form.cleaned_data["language"],
            ),
        )
        if created is not None:
            messages.success(request, _("Your draft application is started."))
            return redirect("funding:edit", pk=created.pk)
    context = {"call": the_call, "form": form, "is_open": the_call.is_open()}
    return render(request, "funding/apply.html", context, status=_status(form))


@require_GET
@signed_in_required
def my_applications(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    context = {
        "applications": selectors.applications_of_applicant(user).prefetch_related("decision"),
        "invitations": user.funding_co_applications.filter(confirmed_at__isnull=True),
    }
    return render(request, "funding/my_applications.html", context)


@require_GET
@signed_in_required
def application(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    app = _application(request, pk)
    decision = Decision.objects.filter(application=app).first()
    is_applicant = selectors.is_applicant(user, app)
    context: dict[str, Any] = {
        "app": app,
        "call": app.call,
        "is_applicant": is_applicant,
        "can_edit": selectors.can_edit(user, app),
        "is_chair": selectors.is_chair(user),
        "totals": budget_totals(app),
        "budget_lines": app.budget_lines.select_related("region"),
        "co_applicants": app.co_applicants.select_related("organisation", "region"),
        "attachments": app.attachments.all(),
        "reviews": [
            {
                "review": r,
                "scores": [
                    (c["title"], r.scores.get(str(c["key"]), "—"))
                    for c in app.call.criteria_localised
                ],
            }
            for r in selectors.reviews_visible_to(user, app)
        ],
        "notes": selectors.discussion_visible_to(user, app),
        "decision": decision,
        "assignment": ReviewAssignment.objects.filter(application=app, reviewer=user).first(),
        "sections": [
            {"title": s["title"], "text": app.section_texts.get(str(s["key"]), "")}
            for s in app.call.sections_localised
        ],
        "reports": app.reports.prefetch_related("studies"),
        "report_years": [
            {"year": y, "due": report_due_on(y), "done": app.reports.filter(year=y).exists()}
            for y in services.report_years(app)
        ],
    }
    if context["can_edit"]:
        context["problems"] = eligibility_problems(app)
    if context["is_chair"] and not decision and app.state == ApplicationState.SUBMITTED:
        context["note_form"] = f.NoteForm()
    return render(request, "funding/application.html", context)


@require_http_methods(["GET", "POST"])
@signed_in_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    app = _own_draft(request, pk)
    form = f.ApplicationForm(request.POST or None, application=app)
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.application_update(
                by=user, application=app, data=form.application_data()
            ),
        )
        if done is not None:
            messages.success(request, _("The application is saved."))
            return redirect(app)
    context = {"app": app, "form": form, "locked": not app.is_editable}
    return render(request, "funding/edit.html", context, status=_status(form))


def _budget_regions(app: Application) -> list[Region]:
    codes = {app.region.code} | {c.region.code for c in app.co_applicants.all()}
    codes |= {line.region.code for line in app.budget_lines.select_related("region")}
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def _budget_form(request: HttpRequest, app: Application) -> f.BudgetForm:
    initial = {
        f"amount_{line.region.code}_{line.year}": line.amount
        for line in app.budget_lines.select_related("region")
    }
    data = request.POST if request.method == "POST" else None
    return f.BudgetForm(data, regions=_budget_regions(app), years=app.call.years, initial=initial)


def _budget_sums(form: f.BudgetForm) -> dict[str, Any]:
    amounts = form.amounts() if form.is_bound and form.is_valid() else []
    per_region = {r.code: 0 for r in form.regions}
    per_year = dict.fromkeys(form.years, 0)
    for region, year, amount in amounts:
        per_region[region.code] += amount
        per_year[year] += amount
    return {
        "per_region": [per_region[r.code] for r in form.regions],
        "per_year": [per_year[y] for y in form.years],
        "total": sum(per_year.values()),
    }


@require_http_methods(["GET", "POST"])
@signed_in_required
def budget(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    app = _own_draft(request, pk)
    form = _budget_form(request, app)
    if request.method == "POST" and form.is_valid():
        entries = [services.BudgetEntry(region=r, year=y, amount=a) for r, y, a in form.amounts()]
        done = form_attempt(
            form, lambda: services.budget_set(by=user, application=app, entries=entries)
        )
        if done is not None:
            messages.success(request, _("The budget is saved."))
            return redirect(app)
    if not form.is_bound:
        saved = budget_totals(app)
        per_region = saved["per_region"]
        per_year = saved["per_year"]
        assert isinstance(per_region, dict) and isinstance(per_year, dict)
        sums = {
            "per_region": [per_region.get(r.code, 0) for r in form.regions],
            "per_year": [per_year.get(y, 0) for y in form.years],
            "total": saved["total"],
        }
    else:
        sums = _budget_sums(form)
    context = {"app": app, "form": form, "sums": sums, "call": app.call}
    return render(request, "funding/budget.html", context, status=_status(form))


@require_POST
@signed_in_required
def budget_totals_partial(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the totals row for the numbers typed so far, nothing saved."""
    app = _own_draft(request, pk)
    form = _budget_form(request, app)
    context = {"form": form, "sums": _budget_sums(form), "call": app.call}
    return render(request, "funding/_budget_totals.html", context)


@require_http_methods(["GET", "POST"])
@signed_in_required
def co_applicants(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    app = _own_draft(request, pk)
    form = f.CoApplicantForm(request.POST or None, organisations=_applicant_organisations(user))
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.co_applicant_invite(
                by=user,
                application=app,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                organisation=form.cleaned_data["organisation"],
            ),
        )
        if done is not None:
            messages.success(
                request, _("%(name)s is invited by e-mail to confirm.") % {"name": done.name}
            )
            return redirect("funding:co_applicants", pk=app.pk)
    context = {
        "app": app,
        "form": form,
        "co_applicants": app.co_applicants.select_related("organisation", "region"),
    }
    return render(request, "funding/co_applicants.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The co-applicant's signed link: shows the application's title and confirms."""
    co_applicant = services.co_applicant_by_link(token)
    if co_applicant is None:
        response = render(request, "funding/link_invalid.html", status=404)
        add_never_cache_headers(response)
        return response
    form = forms.Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        by = request.user if isinstance(request.user, User) else None
        form_attempt(form, lambda: services.co_applicant_confirm(co_applicant=co_applicant, by=by))
        co_applicant.refresh_from_db()
    context = {"co_applicant": co_applicant, "app": co_applicant.application, "form": form}
    response = render(request, "funding/confirm.html", context, status=_status(form))
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
@signed_in_required
def documents(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    app = _own_draft(request, pk)
    form = f.AttachmentForm(
        request.POST or None, request.FILES or None, documents=app.call.documents_localised
    )
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.attachment_add(
                by=user,
                application=app,
                document_key=form.cleaned_data["document_key"],
                upload=form.cleaned_data["upload"],
            ),
        )
        if done is not None:
            messages.success(request, _("%(name)s is attached.") % {"name": done.original_name})
            return redirect("funding:documents", pk=app.pk)
    attached = {a.document_key: a for a in app.attachments.all()}
    rows = [
        {"document": d, "file": attached.get(str(d["key"]))} for d in app.call.documents_localised
    ]
    context = {"app": app, "form": form, "rows": rows}
    return render(request, "funding/documents.html", context, status=_status(form))


@require_GET
@signed_in_required
def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    app = _application(request, pk)
    item = get_object_or_404(app.attachments, pk=attachment_pk)
    path = services.attachment_dir() / item.stored_name
    if not path.is_file():
        raise Http404
    return pdf_response(path.read_bytes(), item.original_name)


@require_http_methods(["GET", "POST"])
@signed_in_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    app = _own_draft(request, pk)
    form = forms.Form(request.POST if request.method == "POST" else None)
    problems = eligibility_problems(app)
    if request.method == "POST" and form.is_valid():
        done = form_attempt(form, lambda: services.application_submit(by=user, application=app))
        if done is not None:
            messages.success(
                request, _("Your application %(ref)s is submitted.") % {"ref": app.reference}
            )
            return redirect(app)
    context = {"app": app, "problems": problems, "form": form, "locked": not app.is_editable}
    return render(request, "funding/submit.html", context, status=_status(form))


# Review ---------------------------------------------------------------


@require_GET
@role_required(Role.FUNDING_REVIEWER, Role.FUNDING_CHAIR)
def reviews(request: HttpRequest) -> HttpResponse:
    """The reviewer's assignments: the reference and whether they declared; titles only for
    those they may open."""
    user = request_user(request)
    visible = set(selectors.applications_visible_to(user).values_list("pk", flat=True))
    rows = []
    for assignment in selectors.assignments_of(user):
        declaration = selectors.declaration_of(user, assignment.application)
        rows.append(
            {
                "assignment": assignment,
                "declaration": declaration,
                "may_open": assignment.application_id in visible,
                "review": getattr(assignment, "review", None),
            }
        )
    conflicts = user.funding_conflicts.filter(has_conflict=True).count()
    return render(request, "funding/reviews.html", {"rows": rows, "conflicts": conflicts})


@require_http_methods(["GET", "POST"])
@role_required(Role.FUNDING_REVIEWER, Role.FUNDING_CHAIR)
def declare(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare conflicts before opening: the page shows only who applies and from where."""
    user = request_user(request)
    reachable = Q(assignments__reviewer=user)
    if selectors.is_chair(user):
        reachable |= ~Q(state=ApplicationState.DRAFT)
    app = get_object_or_404(
        Application.objects.filter(reachable)
        .exclude(pk__in=selectors.conflicted_application_ids(user))
        .exclude(state=ApplicationState.DRAFT)
        .distinct(),
        pk=pk,
    )
    if selectors.declaration_of(user, app) is not None:
        return redirect(app)
    form = f.DeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = form_attempt(
            form,
            lambda: services.conflict_declare(
                by=user,
                application=app,
                has_conflict=form.cleaned_data["has_conflict"],
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
            ),
        )
        if done is not None:
            if done.has_conflict:
                messages.success(
                    request,
                    _("Your conflict is recorded: you will not see this application again."),
                )
                return redirect("funding:reviews")
            messages.success(request, _("Thank you: you may now open the application."))
            return redirect(app)
    context = {
        "app": app,
        "form": form,
        "suggestions": selectors.conflict_suggestions(user, app),
        "co_applicants": app.co_applicants.select_related("organisation", "region"),
    }
    return render(request, "funding/declare.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@role_required(Role.FUNDING_REVIEWER, Role.FUNDING_CHAIR)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    waiting = ReviewAssignment.objects.filter(application=pk, reviewer=user).first()
    if waiting is not None and selectors.declaration_of(user, waiting.application) is None:
        return redirect("funding:declare", pk=pk)
    app = _application(request, pk)
    assignment = get_object_or_404(ReviewAssignment, application=app, reviewer=user)
    existing = getattr(assignment, "review", None)
    initial: dict[str, Any] = {}
    if existing is not None:
        initial = {f"score_{k}": v for k, v in existing.scores.items()}
        initial.update(feasibility=existing.feasibility, comments=existing.comments)
    form = f.ReviewForm(request.POST or None, criteria=app.call.criteria_localised, initial=initial)
    if request.method == "POST" and form.is_valid():
        submit_now = "submit" in request.POST
        done = form_attempt(
            form,
            lambda: services.review_save(
                by=user,
                assignment=assignment,
                scores=form.scores(),
                feasibility=form.cleaned_data["feasibility"],
                comments=form.cleaned_data["comments"],
                submit=submit_now,
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("Your review is submitted.") if submit_now else _("Your review is saved."),
            )
            return redirect(app)
    context = {"app": app, "form": form, "review": existing, "assignment": assignment}
    return render(request, "funding/review.html", context, status=_status(form))


# The chair ---------------------------------------------------------------


@require_GET
@role_required(Role.FUNDING_CHAIR)
def assign_list(request: HttpRequest, reference: str) -> HttpResponse:
    user = request_user(request)
    the_call = _call(reference, user)
    members = selectors.reviewers_available()
    rows = []
    for app in (
        selectors.applications_visible_to(user)
        .filter(call=the_call)
        .exclude(state=ApplicationState.DRAFT)
    ):
        assigned = list(app.assignments.select_related("reviewer"))
        rapporteur = next((a.reviewer for a in assigned if a.is_rapporteur), None)
        rows.append(
            {
                "app": app,
                "assigned": assigned,
                "absent": app.conflict_declarations.filter(has_conflict=True).count(),
                "form": f.AssignForm(
                    members=members.exclude(
                        pk__in=app.conflict_declarations.filter(has_conflict=True).values("member")
                    ),
                    initial={"reviewers": [a.reviewer for a in assigned], "rapporteur": rapporteur},
                    prefix=f"a{app.pk}",
                ),
                "declared": selectors.declaration_of(user, app) is not None,
            }
        )
    hidden = selectors.conflicted_application_ids(user).filter(application__call=the_call).count()
    context = {"call": the_call, "rows": rows, "hidden": hidden}
    return render(request, "funding/assign.html", context)


@require_POST
@role_required(Role.FUNDING_CHAIR)
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    app = _application(request, pk)
    members = selectors.reviewers_available()
    form = f.AssignForm(request.POST, members=members, prefix=f"a{app.pk}")
    if form.is_valid():
        done = form_attempt(
            form,
            lambda: services.reviewers_assign(
                by=user,
                application=app,
                reviewers=list(form.cleaned_data["reviewers"]),
                rapporteur=form.cleaned_data["rapporteur"],
            ),
        )
        if done is not None:
            messages.success(request, _("Reviewers of %(ref)s are saved.") % {"ref": app.reference})
            return redirect("funding:assign_list", reference=app.call.reference)
    return render(
        request,
        "funding/step.html",
        {"app": app, "form": form, "title": _("Assign reviewers")},
        status=422,
    )


@require_GET
@role_required(Role.FUNDING_REVIEWER, Role.FUNDING_CHAIR)
def committee(request: HttpRequest, reference: str) -> HttpResponse:
    user = request_user(request)
    the_call = _call(reference, user)
    if not selectors.can_see_committee(user, the_call):
        raise Http404
    meeting = selectors.committee_ranking(user, the_call)
    context = {"call": the_call, "meeting": meeting, "is_chair": selectors.is_chair(user)}
    return render(request, "funding/committee.html", context)


@require_GET
@role_required(Role.FUNDING_REVIEWER, Role.FUNDING_CHAIR)
def committee_csv(request: HttpRequest, reference: str) -> HttpResponse:
    """The ranking as CSV, built from the same scoped view as the page."""
    user = request_user(request)
    the_call = _call(reference, user)
    if not selectors.can_see_committee(user, the_call):
        raise Http404
    meeting = selectors.committee_ranking(user, the_call)
    out = io.StringIO()
    writer = SpreadsheetCsvWriter(out)
    writer.writerow(
        [
            _("Rank"),
            _("Reference"),
            _("Project title"),
            _("Main applicant"),
            _("Combined score"),
            _("Feasibility"),
            _("Spread"),
            _("Reviews"),
            _("Decision"),
        ]
    )
    for row in meeting.rows:
        decision = Decision.objects.filter(application=row.application).first()
        writer.writerow(
            [
                row.rank or "",
                row.application.reference,
                row.application.title,
                str(row.application.main_applicant),
                row.combined if row.combined is not None else "",
                row.feasibility if row.feasibility is not None else "",
                row.spread if row.spread is not None else "",
                f"{row.reviews_submitted}/{row.reviews_expected}",
                decision.get_outcome_display() if decision else "",
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = str(
        content_disposition_header(as_attachment=True, filename=f"{the_call.reference}.csv")
    )
    return response


@require_POST
@role_required(Role.FUNDING_CHAIR)
def note(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    form = f.NoteForm(request.POST)
    if form.is_valid() and (
        form_attempt(
            form,
            lambda: services.discussion_add(
                by=request_user(request), application=app, text=form.cleaned_data["text"]
            ),
        )
        is not None
    ):
        messages.success(request, _("The note is saved."))
        return redirect(app)
    return render(
        request, "funding/step.html", {"app": app, "form": form, "title": _("Note")}, status=422
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.FUNDING_CHAIR)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    app = _application(request, pk)
    totals = budget_totals(app)
    form = f.DecisionForm(
        request.POST or None,
        initial={"letter_language": app.language, "amount": totals["total"]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = form_attempt(
            form,
            lambda: services.decision_record(
                by=user,
                application=app,
                outcome=data["outcome"],
                amount=data["amount"] or 0,
                reasons=data["reasons"],
                letter_language=data["letter_language"],
            ),
        )
        if done is not None:
            messages.success(request, _("The decision is recorded."))
            return redirect("funding:committee", reference=app.call.reference)
    context = {"app": app, "form": form, "totals": totals}
    return render(request, "funding/decide.html", context, status=_status(form))


@require_GET
@signed_in_required
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    if not (
        selectors.is_applicant(request_user(request), app)
        or selectors.is_chair(request_user(request))
    ):
        raise Http404
    decision = get_object_or_404(Decision, application=app)
    return pdf_response(letters.decision_letter_pdf(decision), f"{app.reference}.pdf", inline=True)


# Follow-up ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@signed_in_required
def report(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    user = request_user(request)
    app = _application(request, pk)
    if not selectors.is_applicant(user, app) or year not in services.report_years(app):
        raise Http404
    existing = FollowUpReport.objects.filter(application=app, year=year).first()
    studies = (studies_visible_to(user) | studies_public()).distinct()
    form = f.ReportForm(request.POST or None, studies=studies)
    if existing is None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = form_attempt(
            form,
            lambda: services.report_submit(
                by=user,
                application=app,
                year=year,
                progress=data["progress"],
                publications=data["publications"].splitlines(),
                studies=list(data["studies"]),
                further_funding=data["further_funding"],
                further_funding_amount=data["further_funding_amount"] or 0,
            ),
        )
        if done is not None:
            messages.success(request, _("The report for %(year)s is submitted.") % {"year": year})
            return redirect(app)
    context = {
        "app": app,
        "year": year,
        "due": report_due_on(year),
        "form": form,
        "report": existing,
    }
    return render(request, "funding/report.html", context, status=_status(form))


# Node office ---------------------------------------------------------------


@require_GET
@role_required(Role.FUNDING_CHAIR, Role.FUNDING_REVIEWER)
def manage(request: HttpRequest) -> HttpResponse:
    """Calls with links to each step, and a search over the applications one may see."""
    user = request_user(request)
    query = request.GET.get("q", "")[:200]
    context = {
        "calls": selectors.calls_visible_to(user),
        "can_manage": selectors.can_manage_calls(user),
        "is_chair": selectors.is_chair(user),
        "query": query,
        "found": selectors.applications_search(user, query=query)[:50] if query else None,
    }
    return render(request, "funding/manage.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def call_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request_user(request)
    the_call = get_object_or_404(Call, pk=pk) if pk else None
    form = f.CallForm(request.POST or None, instance=the_call)
    if request.method == "POST" and form.is_valid():
        data = form.call_data()
        if the_call is None:
            done = form_attempt(form, lambda: services.call_create(by=user, data=data))
        else:
            data.pop("reference")
            done = form_attempt(
                form, lambda: services.call_update(by=user, call=the_call, data=data)
            )
        if done is not None:
            messages.success(request, _("The call is saved."))
            return redirect(done)
    context = {"form": form, "call": the_call}
    return render(request, "funding/call_edit.html", context, status=_status(form))


@require_POST
@role_required(Role.NODE_OFFICE)
def call_publish(request: HttpRequest, pk: int) -> HttpResponse:
    the_call = get_object_or_404(Call, pk=pk, state=CallState.DRAFT)
    try:
        services.call_publish(by=request_user(request), call=the_call)
        messages.success(request, _("The call is published."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(the_call)


@require_GET
@role_required(Role.FUNDING_CHAIR)
def figures_page(request: HttpRequest) -> HttpResponse:
    return render(request, "funding/figures.html", {"figures": figures.all_figures()})
