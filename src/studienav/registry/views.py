"""Staff pages of the registry and the public record history: thin views over the services."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studienav.core.access import request_user, role_required, staff_required
from studienav.core.errors import DomainError, InvalidTransition, PermissionDenied
from studienav.core.models import Organisation, Role, User
from studienav.core.selectors import is_node_office, organisations_search
from studienav.registry import forms as f
from studienav.registry import services
from studienav.registry.import_uploads import upload_discard, upload_find, upload_keep
from studienav.registry.labels import field_display, field_label, version_changes
from studienav.registry.models import ChangeRequest, Merge, Site, Study, StudyState
from studienav.registry.selectors import (
    can_edit_directly,
    can_propose_changes,
    can_review,
    pending_change,
    review_queue,
    sites_manageable_by,
    studies_coordinated_by,
    studies_editable_by,
    studies_needing_attention,
    studies_public,
    studies_visible_to,
)

PAGE_SIZE = 50


def _optional_module(name: str) -> ModuleType | None:
    """A module another part of the registry provides once it exists."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and name.startswith(error.name):
            return None
        raise


def _staff_studies(user: User) -> QuerySet[Study]:
    """Studies whose staff page the person may open: editors, reviewers, site staff."""
    if is_node_office(user):
        return studies_visible_to(user)
    return Study.objects.filter(
        Q(pk__in=studies_editable_by(user).values("pk"))
        | Q(pk__in=studies_coordinated_by(user).values("pk"))
        | Q(pk__in=sites_manageable_by(user).values("study"))
    )


def _changed_message(result: object, done: str) -> str:
    """What the person reads after a change: done at once, or waiting for approval."""
    if isinstance(result, ChangeRequest):
        return _("Your change waits for approval by the node coordinator.")
    return done


def _form_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's error next to its field, or above the form."""
    field = (error.field or "").split(".")[0]
    aliases = {"identifier": "value", "recruitment_status": "recruitment_status"}
    field = aliases.get(field, field)
    form.add_error(field if field in form.fields else None, error.message)


def _quality_issues(study: Study) -> list[Any] | None:
    quality = _optional_module("studienav.registry.quality")
    return None if quality is None else list(quality.quality_issues(study))


@require_GET
@staff_required
def study_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = f.StudyFilterForm(request.GET or None)
    studies = _staff_studies(user).select_related("lead_region")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            studies = studies.filter(
                Q(public_title__icontains=data["q"]) | Q(public_title_en__icontains=data["q"])
            )
        if data["state"]:
            studies = studies.filter(state=data["state"])
        if data["status"]:
            studies = studies.filter(overall_status=data["status"])
        if data["region"]:
            studies = studies.filter(
                Q(lead_region=data["region"]) | Q(sites__region=data["region"])
            ).distinct()
    page = Paginator(studies.order_by("-updated_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": _query_without_page(request)}
    return render(request, "registry/study_list.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# The repeated rows of the study form: formset, the columns kept, and the service that saves them.
ROW_SETS: dict[str, tuple[Any, tuple[str, ...], Any]] = {
    "conditions": (
        f.ConditionFormSet,
        ("name", "icd10"),
        lambda study, by, rows, reason: services.study_set_conditions(
            study=study, by=by, conditions=rows, reason=reason
        ),
    ),
    "interventions": (
        f.InterventionFormSet,
        ("type", "name", "description"),
        lambda study, by, rows, reason: services.study_set_interventions(
            study=study, by=by, interventions=rows, reason=reason
        ),
    ),
    "outcomes": (
        f.OutcomeFormSet,
        ("kind", "measure", "time_frame"),
        lambda study, by, rows, reason: services.study_set_outcomes(
            study=study, by=by, outcomes=rows, reason=reason
        ),
    ),
}


def _formsets(request: HttpRequest, study: Study | None) -> dict[str, forms.BaseFormSet[Any]]:
    data = request.POST if request.method == "POST" else None
    formsets = {}
    for name, (formset_class, columns, _save) in ROW_SETS.items():
        rows = getattr(study, name).all() if study else []
        initial = [{column: getattr(row, column) for column in columns} for row in rows]
        formsets[name] = formset_class(data, initial=initial, prefix=name)
    return formsets


def _save_rows(
    study: Study, by: User, formsets: dict[str, forms.BaseFormSet[Any]], reason: str = ""
) -> bool:
    """Save each set of rows that changed; unchanged ones leave no version or audit event.
    True when a change waits for approval."""
    waits = False
    for name, (_formset_class, columns, save) in ROW_SETS.items():
        key = "measure" if name == "outcomes" else "name"
        rows = [
            tuple(row.get(column) or "" for column in columns)
            for row in f.filled_rows(formsets[name], key=key)
        ]
        current = [
            tuple(getattr(row, column) for column in columns) for row in getattr(study, name).all()
        ]
        if rows != current:
            waits = isinstance(save(study, by, rows, reason), ChangeRequest) or waits
    return waits


def _all_valid(formsets: dict[str, forms.BaseFormSet[Any]]) -> bool:
    valid = True
    for formset in formsets.values():  # every formset validated, so every error shows
        valid = formset.is_valid() and valid
    return valid


def _with_errors(form: forms.BaseForm, *formsets: forms.BaseFormSet[Any]) -> list[forms.BaseForm]:
    candidates = [form, *(row for formset in formsets if formset.is_bound for row in formset.forms)]
    return [candidate for candidate in candidates if candidate.is_bound and candidate.errors]


@require_http_methods(["GET", "POST"])
@role_required(Role.RESEARCHER, Role.NODE_COORDINATOR)
def study_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = f.StudyForm(request.POST or None)
    formsets = _formsets(request, None)
    if request.method == "POST" and form.is_valid() & _all_valid(formsets):
        try:
            with transaction.atomic():
                study = services.study_create(by=user, data=form.study_data())
                _save_rows(study, user, formsets)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request, _("The draft is saved. Submit it for review when it is complete.")
            )
            return redirect(study)
    context = {
        "form": form,
        **formsets,
        "children": True,
        "error_forms": _with_errors(form, *formsets.values()),
    }
    return render(
        request,
        "registry/study_form.html",
        context,
        status=422 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def study_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    study = get_object_or_404(studies_editable_by(user), pk=pk)
    form = f.StudyForm(request.POST or None, instance=Study.objects.get(pk=pk))
    formsets = _formsets(request, study)
    valid = form.is_valid() & _all_valid(formsets)
    if request.method == "POST" and valid:
        reason = form.cleaned_data["reason"]
        try:
            with transaction.atomic():
                result = services.study_update(
                    study=study, by=user, data=form.study_data(), reason=reason
                )
                rows_wait = _save_rows(study, user, formsets, reason)
        except DomainError as error:
            _form_error(form, error)
        else:
            if isinstance(result, ChangeRequest) or rows_wait:
                messages.success(
                    request, _("Your change waits for approval by the node coordinator.")
                )
            else:
                messages.success(request, _("The study is saved."))
            return redirect(study)
    context = {
        "form": form,
        "study": study,
        **formsets,
        "children": True,
        "waits": can_propose_changes(user, study),
        "pending": pending_change(study),
        "error_forms": _with_errors(form, *formsets.values()),
    }
    return render(
        request,
        "registry/study_form.html",
        context,
        status=422 if request.method == "POST" else 200,
    )


def _study_page(
    request: HttpRequest, study: Study, status: int = 200, **bound: forms.BaseForm
) -> HttpResponse:
    user = request_user(request)
    pending = pending_change(study)
    reviewer = can_review(user, study)
    editable = studies_editable_by(user).filter(pk=study.pk).exists()
    manageable = set(sites_manageable_by(user).filter(study=study).values_list("pk", flat=True))
    forms_: dict[str, forms.BaseForm] = {
        name: form_class(auto_id=f"id_{action}_%s")
        for action, (form_class, name, _call) in ACTIONS.items()
    }
    forms_.update(bound)
    record = [
        (field_label(name), field_display(name, getattr(study, name)))
        for name in Study.PUBLIC_FIELDS
    ]
    record.append((_("Conditions"), "; ".join(str(c) for c in study.conditions.all()) or "–"))
    record.append((_("Interventions"), "; ".join(str(i) for i in study.interventions.all()) or "–"))
    record.append((_("Outcomes"), "; ".join(str(o) for o in study.outcomes.all()) or "–"))
    context = {
        "study": study,
        "sites": study.sites.select_related("organisation", "region"),
        "identifiers": study.identifiers.select_related("region"),
        "pending": pending,
        "diff": services.change_diff(pending) if pending else [],
        "reviewer": reviewer,
        "editable": editable,
        "can_confirm": editable or bool(manageable),
        "manageable": manageable,
        "quality": _quality_issues(study),
        "node_office": is_node_office(user),
        "merges": Merge.objects.filter(kept=study).select_related("duplicate"),
        "versions": study.versions.count(),
        "record": record,
        "import_notes": [n for n in study.import_notes if not n.get("handled_at")],
        **forms_,
    }
    return render(request, "registry/study_detail.html", context, status=status)


@require_GET
@staff_required
def study_detail(request: HttpRequest, pk: int) -> HttpResponse:
    study = get_object_or_404(
        _staff_studies(request_user(request)).select_related("lead_region"), pk=pk
    )
    return _study_page(request, study)


def _action_submit(study: Study, by: User, data: dict[str, Any]) -> str:
    services.study_submit(study=study, by=by, note=data["note"])
    return _("The study is submitted for review.")


def _action_return(study: Study, by: User, data: dict[str, Any]) -> str:
    services.study_return(study=study, by=by, comment=data["comment"])
    return _("The study is returned with your comments.")


def _action_publish(study: Study, by: User, data: dict[str, Any]) -> str:
    services.study_publish(study=study, by=by, reason=data["reason"])
    return _("The study is published.")


def _action_close(study: Study, by: User, data: dict[str, Any]) -> str:
    services.study_close(study=study, by=by, state=StudyState(data["state"]), reason=data["reason"])
    return _("The study is now %(state)s.") % {"state": StudyState(data["state"]).label.lower()}


def _action_confirm(study: Study, by: User, data: dict[str, Any]) -> str:
    services.study_confirm_status(study=study, by=by)
    return _("The status is confirmed as current.")


def _action_resolve_note(study: Study, by: User, data: dict[str, Any]) -> str:
    services.study_import_note_resolve(study=study, key=data["key"], by=by)
    return _("The note is marked as checked.")


def _pending_or_404(study: Study) -> ChangeRequest:
    change = pending_change(study)
    if change is None:
        raise Http404
    return change


def _action_approve(study: Study, by: User, data: dict[str, Any]) -> str:
    services.change_approve(change=_pending_or_404(study), by=by, reason=data["reason"])
    return _("The change is approved and published.")


def _action_reject(study: Study, by: User, data: dict[str, Any]) -> str:
    services.change_reject(change=_pending_or_404(study), by=by, reason=data["reason"])
    return _("The change is rejected.")


# action: (form class, form name on the study page, service call)
ACTIONS: dict[str, tuple[type[forms.Form], str, Any]] = {
    "submit": (f.NoteForm, "submit_form", _action_submit),
    "return": (f.CommentForm, "return_form", _action_return),
    "publish": (f.ReasonForm, "publish_form", _action_publish),
    "close": (f.CloseForm, "close_form", _action_close),
    "confirm": (forms.Form, "confirm_form", _action_confirm),
    "approve": (f.ReasonForm, "approve_form", _action_approve),
    "reject": (f.RequiredReasonForm, "reject_form", _action_reject),
    "resolve_note": (f.ImportNoteForm, "resolve_note_form", _action_resolve_note),
}


@require_POST
@staff_required
def study_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    study = get_object_or_404(_staff_studies(user), pk=pk)
    form_class, name, call = ACTIONS[action]
    form = form_class(request.POST, auto_id=f"id_{action}_%s")
    if form.is_valid():
        try:
            messages.success(request, call(study, user, form.cleaned_data))
            return redirect(study)
        except PermissionDenied as error:
            raise Forbidden(error.message) from error
        except (InvalidTransition, DomainError) as error:
            _form_error(form, error)
    study.refresh_from_db()
    return _study_page(request, study, status=422, **{name: form})


@require_http_methods(["GET", "POST"])
@staff_required
def identifier_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    study = get_object_or_404(studies_editable_by(user), pk=pk)
    form = f.IdentifierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.identifier_add(study=study, by=user, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _changed_message(result, _("The identifier is added.")))
            return redirect(study)
    context = {"form": form, "study": study, "waits": can_propose_changes(user, study)}
    return render(
        request, "registry/identifier_form.html", context, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@staff_required
def site_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    study = get_object_or_404(studies_editable_by(user), pk=pk)
    search = f.OrganisationSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    results = list(organisations_search(query=query).order_by("name")[:20]) if query else []
    form = f.SiteAddForm(
        request.POST or None, initial={"organisation": request.GET.get("organisation")}
    )
    chosen = _chosen_organisation(request)
    if request.method == "POST" and form.is_valid():
        organisation = Organisation.objects.filter(pk=form.cleaned_data["organisation"]).first()
        if organisation is None:
            form.add_error(None, _("Choose an organisation from the search results."))
        else:
            try:
                result = services.site_add(
                    study=study, by=user, organisation=organisation, **form.site_data()
                )
            except DomainError as error:
                _form_error(form, error)
            else:
                added = _("The site at %(name)s is added.") % {"name": organisation}
                messages.success(request, _changed_message(result, added))
                return redirect(study)
    context = {
        "study": study,
        "waits": can_propose_changes(user, study),
        "search": search,
        "results": results,
        "form": form,
        "chosen": chosen,
        "query": query,
    }
    partial = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    if partial and request.method == "GET":
        return render(request, "registry/_organisation_results.html", context)
    return render(request, "registry/site_add.html", context, status=422 if form.errors else 200)


def _chosen_organisation(request: HttpRequest) -> Organisation | None:
    raw = request.POST.get("organisation") or request.GET.get("organisation") or ""
    return Organisation.objects.filter(pk=int(raw)).first() if raw.isdigit() else None


@require_http_methods(["GET", "POST"])
@staff_required
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    site = get_object_or_404(
        sites_manageable_by(user).select_related("study", "organisation"), pk=pk
    )
    waits = can_propose_changes(user, site.study, site)
    if not (waits or can_edit_directly(user, site.study)):
        raise Forbidden  # site staff of an unpublished record: recruitment only
    form = f.SiteEditForm(request.POST or None, instance=Site.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            result = services.site_update(
                site=site, by=user, reason=form.cleaned_data["reason"], **form.site_data()
            )
        except PermissionDenied as error:
            raise Forbidden(error.message) from error
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _changed_message(result, _("The site is saved.")))
            return redirect(site.study)
    context = {"form": form, "site": site, "waits": waits}
    return render(request, "registry/site_form.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@staff_required
def site_recruitment(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    site = get_object_or_404(
        sites_manageable_by(user).select_related("study", "organisation"), pk=pk
    )
    initial = {
        "recruitment_status": site.recruitment_status,
        "actual_enrolment": site.actual_enrolment,
    }
    form = f.RecruitmentForm(request.POST or None, initial=initial, site=site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.site_set_recruitment(
                site=site,
                by=user,
                status=data["recruitment_status"],
                actual_enrolment=data["actual_enrolment"],
                reason=data["reason"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request, _("Recruitment at %(site)s is updated and public.") % {"site": site}
            )
            return redirect(site.study)
    context = {"form": form, "site": site}
    return render(
        request, "registry/site_recruitment.html", context, status=422 if form.errors else 200
    )


@require_GET
@role_required(Role.NODE_COORDINATOR)
def review_queue_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = f.StudyFilterForm(request.GET or None)
    queue, attention = review_queue(user), studies_needing_attention(user)
    if form.is_valid():
        if form.cleaned_data["region"]:
            region = form.cleaned_data["region"]
            in_region = Q(lead_region=region) | Q(sites__region=region)
            queue = queue.filter(in_region).distinct()
            attention = attention.filter(in_region).distinct()
        if form.cleaned_data["state"]:
            queue = queue.filter(state=form.cleaned_data["state"])
            attention = attention.filter(state=form.cleaned_data["state"])
    rows = [(study, pending_change(study)) for study in queue[:PAGE_SIZE]]
    context = {
        "form": form,
        "rows": [(s, c, services.change_diff(c) if c else []) for s, c in rows],
        "queue_count": queue.count(),
        "attention": attention[:PAGE_SIZE],
        "attention_count": attention.count(),
    }
    return render(request, "registry/queue.html", context)


def _report_lines(report: Any, path: Path) -> list[str]:
    """The report's lines, naming the uploaded file, never the server's path."""
    return [str(line).replace(str(path), path.name) for line in report.lines]


def _shown(value: Any, name: str) -> str:
    shown = field_display(name, value)
    return shown if len(shown) <= 80 else shown[:79].rstrip() + "…"


def _preview_rows(report: Any, path: Path) -> list[dict[str, Any]]:
    """Each record of a dry run: number, title, identifiers, outcome, and what it changes."""
    rows = []
    for item in report.records or []:
        changes = [
            (
                _("Notes to check after import") if name == "import_notes" else field_label(name),
                _shown(old, name),
                _shown(new, name),
            )
            for name, (old, new) in item.changes.items()
        ]
        rows.append(
            {
                "number": item.number,
                "title": item.title,
                "identifiers": item.identifiers,
                "outcome": item.outcome,
                "errors": [(name, str(m).replace(str(path), path.name)) for name, m in item.errors],
                "notes": item.notes,
                "changes": changes,
            }
        )
    return rows


def _import_context(report: Any, path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "form": f.ImportForm(),
        "available": True,
        "report": report,
        "file_name": path.name,
        "file_error": report.file_error.replace(str(path), path.name),
        "lines": _report_lines(report, path),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a file and see, before anything is written, what each record would do."""
    importers = _optional_module("studienav.registry.importers")
    form = f.ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "available": importers is not None}
    if request.method == "POST" and importers is not None and form.is_valid():
        data = form.cleaned_data
        kept = upload_keep(
            chunks=data["file"].chunks(),
            name=f.upload_name(data["file"].name),
            format=data["format"],
            publish=data["publish"],
            session=request.session,
        )
        report = importers.import_file(
            path=kept.path,
            format=kept.format,
            publish=kept.publish,
            dry_run=True,
            detail=True,
            by=request_user(request),
            web=True,
        )
        context = _import_context(report, kept.path, form=form)
        if report.file_error:  # nothing to apply: one plain message, the upload gone
            upload_discard(token=kept.token, session=request.session)
        else:
            context.update(
                rows=_preview_rows(report, kept.path),
                apply_form=f.ImportApplyForm(initial={"token": kept.token}),
            )
    status = 422 if form.errors else 200
    return render(request, "registry/import.html", context, status=status)


@require_POST
@role_required(Role.NODE_OFFICE)
def import_apply(request: HttpRequest) -> HttpResponse:
    """Apply the upload previewed in this session (named by its token alone)."""
    importers = _optional_module("studienav.registry.importers")
    form = f.ImportApplyForm(request.POST)
    kept = (
        upload_find(token=form.cleaned_data["token"], session=request.session)
        if form.is_valid()
        else None
    )
    if importers is None or kept is None:
        context = {"form": f.ImportForm(), "available": importers is not None, "apply_error": True}
        return render(request, "registry/import.html", context, status=404)
    try:
        report = importers.import_file(
            path=kept.path,
            format=kept.format,
            publish=kept.publish,
            by=request_user(request),
            web=True,
        )
    finally:
        upload_discard(token=kept.token, session=request.session)
    return render(request, "registry/import.html", _import_context(report, kept.path, applied=True))


TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_GET
@role_required(Role.NODE_OFFICE, Role.NODE_COORDINATOR)
def import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    spreadsheet = _optional_module("studienav.registry.importers.spreadsheet")
    if fmt not in TEMPLATE_TYPES or spreadsheet is None:
        raise Http404
    content = spreadsheet.spreadsheet_template(fmt)
    response = HttpResponse(content, content_type=TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="studienav-studies.{fmt}"'
    return response


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_COORDINATOR)
def study_merge(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    keep = get_object_or_404(studies_coordinated_by(user), pk=pk)
    choose = f.MergeChooseForm(request.GET if "duplicate" in request.GET else None)
    confirm = f.MergeConfirmForm(request.POST or None)
    duplicate = None
    bound = confirm if request.method == "POST" else choose
    if bound.is_valid():
        duplicate = studies_coordinated_by(user).filter(pk=bound.cleaned_data["duplicate"]).first()
        if duplicate is None or duplicate.pk == keep.pk:
            bound.add_error("duplicate", _("Give the number of another study in your regions."))
            duplicate = None
    if request.method == "POST" and duplicate is not None and not confirm.errors:
        try:
            merge = services.study_merge(
                keep=keep, duplicate=duplicate, by=user, reason=confirm.cleaned_data["reason"]
            )
        except DomainError as error:
            _form_error(confirm, error)
        else:
            messages.success(
                request, _("Study %(id)s is merged into this one.") % {"id": duplicate.pk}
            )
            return redirect("registry:merge_detail", pk=merge.pk)
    if duplicate is not None and request.method == "GET":
        confirm = f.MergeConfirmForm(initial={"duplicate": duplicate.pk})
    context = {
        "keep": keep,
        "duplicate": duplicate,
        "choose": choose,
        "confirm": confirm,
        "pairs": _side_by_side(keep, duplicate),
    }
    status = 422 if (choose.errors or confirm.errors) else 200
    return render(request, "registry/merge.html", context, status=status)


def _side_by_side(keep: Study, duplicate: Study | None) -> list[tuple[str, Any, Any]]:
    if duplicate is None:
        return []
    rows = [
        (
            field_label(name),
            field_display(name, getattr(keep, name)),
            field_display(name, getattr(duplicate, name)),
        )
        for name in Study.PUBLIC_FIELDS
    ]
    rows.append(
        (
            _("Sites"),
            ", ".join(str(s) for s in keep.sites.all()),
            ", ".join(str(s) for s in duplicate.sites.all()),
        )
    )
    rows.append(
        (
            _("Identifiers"),
            ", ".join(str(i) for i in keep.identifiers.all()),
            ", ".join(str(i) for i in duplicate.identifiers.all()),
        )
    )
    return rows


@require_GET
@staff_required
def merge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(Merge.objects.select_related("kept", "duplicate", "merged_by"), pk=pk)
    if not can_review(request_user(request), merge.kept):
        raise Http404
    rows = [
        (field_label(name), field_display(name, value))
        for name, value in merge.duplicate_snapshot.items()
    ]
    return render(request, "registry/merge_detail.html", {"merge": merge, "rows": rows})


@require_GET
def public_history(request: HttpRequest, pk: int) -> HttpResponse:
    study = get_object_or_404(studies_public(), pk=pk)
    versions = list(study.versions.order_by("number"))
    entries = [
        {
            "version": version,
            "changes": version_changes(versions[i - 1].data, version.data) if i else [],
        }
        for i, version in enumerate(versions)
    ]
    entries.reverse()
    return render(request, "registry/public_history.html", {"study": study, "entries": entries})
