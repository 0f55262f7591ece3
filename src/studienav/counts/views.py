"""Staff pages of patient counts: builder, definitions, questions and answers per region,
the disclosure officer's question log and rules, agents, the requester's budget."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studienav.core.access import request_user, staff_required
from studienav.core.errors import DomainError
from studienav.core.forms import form_attempt
from studienav.core.models import User
from studienav.core.selectors import node_regions
from studienav.core.spreadsheets import SpreadsheetCsvWriter
from studienav.counts import builder, federation, results, services, signatures
from studienav.counts import forms as f
from studienav.counts.circe import definition_to_circe
from studienav.counts.compiler import OBSERVATION_RULE
from studienav.counts.definition import definition_describe, definition_parse
from studienav.counts.models import CohortDefinition, RegionPrivacy
from studienav.counts.selectors import (
    agents_visible_to,
    budget_lines,
    can_build,
    can_manage_agents,
    definitions_visible_to,
    linkable_requests,
    officer_regions,
    question_log_visible_to,
    questions_visible_to,
)

T = TypeVar("T")


def _builder(request: HttpRequest) -> User:
    user = request_user(request)
    if not can_build(user):
        raise Forbidden
    return user


@require_GET
@staff_required
def index(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    context = {
        "can_build": can_build(user),
        "definitions": definitions_visible_to(user).prefetch_related("versions")[:100],
        "questions": questions_visible_to(user)[:30],
        "is_officer": officer_regions(user).exists(),
        "can_manage_agents": can_manage_agents(user),
    }
    return render(request, "counts/index.html", context)


def _concept_matches(request: HttpRequest) -> dict[str, Any]:
    # After a builder step (a POST) the finder shows again what it found before.
    source = request.GET if "q" in request.GET else request.POST if "q" in request.POST else None
    search = f.ConceptSearchForm({"q": source.get("q", "")} if source is not None else None)
    return {"search": search, **results.concept_search(search)}


def _builder_page(
    request: HttpRequest, *, definition: CohortDefinition | None, initial: dict[str, Any]
) -> HttpResponse:
    user = _builder(request)
    regions = node_regions()
    form = f.DefinitionForm(
        request.POST or None, request.FILES or None, initial=initial, regions=regions
    )
    action = request.POST.get("action", "save")
    conversion = None
    if request.method == "POST" and builder.is_step(action):
        step = builder.builder_step(posted=form, action=action, regions=regions)
        form, conversion = step.form, step.conversion
    elif request.method == "POST" and form.is_valid():
        saved = _definition_save(request, user=user, form=form, definition=definition)
        if saved is not None:
            messages.success(request, _("The definition is saved."))
            for line in form.loaded.notes if form.loaded is not None else ():
                messages.warning(request, line)
            return redirect(saved)
    context = {
        "form": form,
        "definition": definition,
        "conversion": conversion,
        "builder": True,
        "search_action": request.path,
        "observation_rule": OBSERVATION_RULE,
        **_concept_matches(request),
    }
    return render(request, "counts/builder.html", context, status=422 if form.errors else 200)


def _definition_save(
    request: HttpRequest,
    *,
    user: User,
    form: f.DefinitionForm,
    definition: CohortDefinition | None,
) -> CohortDefinition | None:
    data = form.cleaned_data
    note = data.get("note") or ""
    if form.loaded is not None and form.loaded.format == "circe":
        note = note or _("Imported from ATLAS/Circe.")
    if definition is None:
        return form_attempt(
            form,
            lambda: services.definition_create(
                by=user,
                title=data["title"],
                content=form.content(),
                regions=list(data["regions"]),
                note=note,
            ),
        )
    revised = form_attempt(
        form,
        lambda: services.definition_revise(
            definition=definition,
            by=user,
            content=form.content(),
            title=data["title"],
            regions=list(data["regions"]),
            note=note,
        ),
    )
    return definition if revised is not None else None


@require_http_methods(["GET", "POST"])
@staff_required
def build(request: HttpRequest) -> HttpResponse:
    return _builder_page(request, definition=None, initial={})


@require_http_methods(["GET", "POST"])
@staff_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    definition = get_object_or_404(definitions_visible_to(request_user(request)), pk=pk)
    latest = definition.latest
    initial = f.initial_from(latest.content if latest else {}, definition.title)
    initial["regions"] = list(definition.regions.all())
    return _builder_page(request, definition=definition, initial=initial)


@require_GET
@staff_required
def concepts(request: HttpRequest) -> HttpResponse:
    """The builder's concept finder, as a fragment for htmx or a page of its own."""
    _builder(request)
    fragment = bool(request.headers.get("HX-Request"))
    template = "counts/_concepts.html" if fragment else "counts/concepts.html"
    # Hits offer "add as a criterion" only inside the builder, whose form they submit.
    context = {**_concept_matches(request), "builder": fragment and "builder" in request.GET}
    return render(request, template, context)


@require_GET
@staff_required
def circe_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest version as ATLAS/Circe cohort JSON, or why it cannot be exported."""
    definition = get_object_or_404(definitions_visible_to(request_user(request)), pk=pk)
    latest = definition.latest
    if latest is None:
        raise Http404
    try:
        expression = definition_to_circe(definition_parse(latest.content))
    except DomainError as error:
        messages.error(
            request,
            _("This definition cannot be exported for ATLAS: %(why)s") % {"why": error.message},
        )
        return redirect(definition)
    response = HttpResponse(
        json.dumps(expression, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        content_disposition_header(True, f"cohort-{definition.pk}-v{latest.number}-circe.json")
        or ""
    )
    return response


@require_GET
@staff_required
def definition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    definition = get_object_or_404(definitions_visible_to(user), pk=pk)
    versions = list(definition.versions.select_related("created_by"))
    latest = versions[0] if versions else None
    context = {
        "definition": definition,
        "versions": versions,
        "latest": latest,
        "description": definition_describe(definition_parse(latest.content)) if latest else [],
        "observation_rule": OBSERVATION_RULE,
        "ask_form": f.AskForm(requests=linkable_requests(user)),
        "questions": questions_visible_to(user).filter(version__definition=definition),
        "regions": definition.regions.all() or node_regions(),
    }
    return render(request, "counts/definition.html", context)


@require_POST
@staff_required
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    user = _builder(request)
    definition = get_object_or_404(definitions_visible_to(user), pk=pk)
    latest = definition.latest
    if latest is None:
        raise Http404
    form = f.AskForm(request.POST, requests=linkable_requests(user))
    if form.is_valid():
        question = form_attempt(
            form,
            lambda: services.question_ask(
                version=latest, by=user, study_request=form.cleaned_data["study_request"]
            ),
        )
        if question is not None:
            messages.success(request, _("The question is sent to the regions."))
            return redirect(question)
    return render(request, "counts/ask.html", {"definition": definition, "form": form}, status=422)


@require_GET
@staff_required
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(questions_visible_to(request_user(request)), pk=pk)
    # A region that was offline answers when it returns: waiting regions are asked again.
    federation.question_retry_waiting(question=question)
    context = results.question_context(question)
    context["can_retry"] = question.asked_by_id == request.user.pk
    return render(request, "counts/question.html", context)


@require_POST
@staff_required
def question_retry(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(questions_visible_to(request_user(request)), pk=pk)
    answered = federation.question_send(question=question)
    waiting = sum(1 for a in answered if a.status == "waiting")
    messages.info(
        request, _("Waiting regions were asked again; %(n)s still waiting.") % {"n": waiting}
    )
    return redirect(question)


@require_GET
@staff_required
def question_csv(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(questions_visible_to(request_user(request)), pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = SpreadsheetCsvWriter(response)
    for row in results.question_rows(question):
        writer.writerow(row)
    response["Content-Disposition"] = (
        content_disposition_header(True, f"patient-counts-{question.pk}.csv") or ""
    )
    return response


@require_GET
@staff_required
def question_log(request: HttpRequest) -> HttpResponse:
    """The region's data-disclosure officer reviews every question asked of its data."""
    user = request_user(request)
    regions = officer_regions(user)
    if not regions.exists():
        raise Forbidden
    code = request.GET.get("region", "")
    region = regions.filter(code=code).first() if code else None
    log = list(question_log_visible_to(user, region)[:200])
    context = {
        "regions": regions,
        "region": region,
        "log": results.log_rows(log),
        "rules": RegionPrivacy.objects.filter(region__in=regions).select_related("region"),
    }
    return render(request, "counts/log.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def privacy(request: HttpRequest, code: str) -> HttpResponse:
    user = request_user(request)
    region = get_object_or_404(officer_regions(user), code=code)
    stored = RegionPrivacy.objects.filter(region=region).first() or RegionPrivacy(region=region)
    form = f.PrivacyForm(request.POST or None, instance=stored)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.PRIVACY_FIELDS}
        done = form_attempt(
            form,
            lambda: services.privacy_update(
                region=region, by=user, data=data, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, _("The region's rules are saved."))
            return redirect("counts:log")
    status = 422 if form.errors else 200
    return render(request, "counts/privacy.html", {"form": form, "region": region}, status=status)


@require_GET
@staff_required
def budget(request: HttpRequest) -> HttpResponse:
    return render(request, "counts/budget.html", {"lines": budget_lines(request_user(request))})


@require_http_methods(["GET", "POST"])
@staff_required
def agents(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not can_manage_agents(user):
        raise Forbidden
    form = f.AgentForm(request.POST or None, regions=node_regions())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = form_attempt(
            form,
            lambda: services.agent_register(
                region=data["region"], by=user, url=data["url"], public_key=data["public_key"]
            ),
        )
        if done is not None:
            messages.success(request, _("The agent is registered."))
            return redirect("counts:agents")
    context = {
        "form": form,
        "agents": agents_visible_to(user),
        "hub_public_key": signatures.public_key_text(signatures.hub_private_key()),
    }
    return render(request, "counts/agents.html", context, status=422 if form.errors else 200)
