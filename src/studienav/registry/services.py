"""Every write to studies and sites: the publishing workflow, approvals, sites, merges.

Each service checks the person's right to do it, validates, writes, records an audit event
with the reason, keeps the published version history, and e-mails the people concerned.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, json_ready, snapshot
from studienav.core.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
    model_validate,
)
from studienav.core.models import Organisation, Region, Role, RoleAssignment, User
from studienav.core.services import send_templated_mail
from studienav.participation.services import new_study_notice_queue
from studienav.registry import identifiers as ids
from studienav.registry.icd10 import icd10_normalise
from studienav.registry.labels import field_label
from studienav.registry.models import (
    PUBLIC_STATES,
    ChangeRequest,
    ChangeStatus,
    EnrolmentReport,
    IdentifierScheme,
    InterventionType,
    Merge,
    OutcomeKind,
    OverallStatus,
    Site,
    SiteStatus,
    Study,
    StudyCondition,
    StudyIdentifier,
    StudyIntervention,
    StudyOutcome,
    StudyState,
)
from studienav.registry.records import (
    derive_therapeutic_area,
    identifier_owner,
    notes_open,
    public_snapshot,
    version_publish,
)
from studienav.registry.selectors import (
    can_create_studies,
    can_edit_directly,
    can_propose_changes,
    can_review,
    sites_manageable_by,
    studies_editable_by,
    studies_visible_to,
    study_regions,
)
from studienav.search.index import search_index_study

# Fields a study form may set; everything else is the workflow's.
EDITABLE_FIELDS = frozenset(Study.PUBLIC_FIELDS) | {"lead_region"}

# The rows a pending change carries beside the study's fields (see ChangeRequest.changes):
# lists it replaces whole, identifiers it adds, sites it adds or changes.
LIST_ROWS: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "conditions": (StudyCondition, ("name", "icd10")),
    "interventions": (StudyIntervention, ("type", "name", "description")),
    "outcomes": (StudyOutcome, ("kind", "measure", "time_frame")),
}
IDENTIFIERS = "identifiers"
SITES = "sites"
ROW_KEYS = frozenset({*LIST_ROWS, IDENTIFIERS, SITES})


def _changed(study: Study) -> None:
    """Bookkeeping after any change to a study's content: timestamp and search index."""
    study.updated_at = timezone.now()
    study.save(update_fields=["updated_at"])
    search_index_study(study.pk)


def _notify(*, study: Study, event: str, people: list[User], reason: str = "") -> None:
    for person in {p.pk: p for p in people if p.is_active and p.email}.values():
        send_templated_mail(
            to=person.email,
            language=person.language,
            template="registry/email/study_event",
            context={
                "study": study,
                "event": event,
                "reason": reason,
                "person": person,
                "site_url": settings.SITE_URL,
            },
        )


def _editors(study: Study) -> list[User]:
    people = list(study.editors.all())
    if study.created_by is not None:
        people.append(study.created_by)
    return people


def _coordinators(study: Study) -> list[User]:
    regions = study_regions(study)
    return [
        a.user
        for a in RoleAssignment.objects.active()
        .filter(role=Role.NODE_COORDINATOR, region__in=regions)
        .select_related("user")
    ]


def _check_editable(data: dict[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            code="unknown_field", field=sorted(unknown)[0], message=_("This field cannot be set.")
        )


def _set_fields(study: Study, data: dict[str, Any]) -> None:
    _check_editable(data)
    for field, value in data.items():
        setattr(study, field, value)


def _full_clean(study: Study) -> None:
    model_validate(study, exclude=["created_by", "merged_into", "primary_sponsor"], code="invalid")


@transaction.atomic
def study_create(*, by: User, data: dict[str, Any]) -> Study:
    """A new draft record; the person who creates it can edit it."""
    if not can_create_studies(by):
        raise PermissionDenied(code="cannot_create", message=_("You cannot register studies."))
    study = Study(state=StudyState.DRAFT, created_by=by, source="form")
    _set_fields(study, data)
    if study.lead_region is None:
        regions = list(
            Region.objects.filter(
                roleassignment__user=by, roleassignment__revoked_at__isnull=True
            ).distinct()
        )
        organisation_regions = list(
            Region.objects.filter(
                organisations__roleassignment__user=by,
                organisations__roleassignment__revoked_at__isnull=True,
            ).distinct()
        )
        candidates = regions or organisation_regions
        study.lead_region = candidates[0] if candidates else None
    _full_clean(study)
    study.save()
    study.editors.add(by)
    audit_record(actor=by, action="study.create", obj=study, before={}, after=snapshot(study))
    return study


@transaction.atomic
def study_update(
    *, study: Study, by: User, data: dict[str, Any], reason: str = ""
) -> Study | ChangeRequest:
    """Change a record: at once for reviewers and unpublished drafts; else as a change request."""
    if not studies_editable_by(by).filter(pk=study.pk).exists():
        raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))
    _check_editable(data)
    current = {field: getattr(study, field) for field in data}
    changes = {k: v for k, v in data.items() if current[k] != v}
    if not changes:
        return study
    if not can_edit_directly(by, study):
        return change_propose(study=study, by=by, changes=changes, note=reason)
    if study.is_public and not reason.strip():
        raise ValidationFailed(
            code="reason_required",
            field="reason",
            message=_("Say why you change a published record."),
        )
    before = snapshot(study)
    _set_fields(study, changes)
    _full_clean(study)
    study.save()
    _changed(study)
    audit_record(actor=by, action="study.update", obj=study, before=before, reason=reason)
    if study.is_public:
        version_publish(study=study, by=by, reason=reason)
    return study


@transaction.atomic
def change_propose(
    *, study: Study, by: User, changes: dict[str, Any], note: str = ""
) -> ChangeRequest:
    """A change to a published record waits for a coordinator; one pending change per study.

    `changes` holds study fields and, under ROW_KEYS, rows as ChangeRequest.changes keeps
    them; every part is validated here, so what waits is what approval can apply.
    """
    _ensure_may_propose(study=study, by=by, changes=changes)
    proposed = _change_clean(study=study, by=by, changes=changes)
    pending = study.change_requests.select_for_update().filter(status=ChangeStatus.PENDING).first()
    if pending is None:
        pending = ChangeRequest(study=study, proposed_by=by, changes={}, note=note)
    pending.changes = _changes_merged(pending.changes, proposed)
    pending.note = note or pending.note
    pending.proposed_by = by
    pending.proposed_at = timezone.now()
    pending.save()
    audit_record(
        actor=by,
        action="study.change_propose",
        obj=study,
        changes={key: [_current(study, key, value), value] for key, value in proposed.items()},
        reason=note,
    )
    _notify(study=study, event="change_proposed", people=_coordinators(study), reason=note)
    return pending


def _ensure_may_propose(*, study: Study, by: User, changes: dict[str, Any]) -> None:
    """Editors propose changes to a published record; a site's staff, to its details only."""
    if not study.is_public:
        raise InvalidTransition(
            code="not_published",
            message=_("Only changes to a published record wait for approval."),
        )
    if studies_editable_by(by).filter(pk=study.pk).exists():
        return
    keys = list(changes.get(SITES) or {}) if set(changes) == {SITES} else []
    organisations = {int(key) for key in keys if str(key).isdigit()}
    if keys and len(organisations) == len(keys):
        own = sites_manageable_by(by).filter(study=study, organisation_id__in=organisations)
        if own.count() == len(organisations):
            return
    raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))


def _change_clean(*, study: Study, by: User, changes: dict[str, Any]) -> dict[str, Any]:
    """The change validated and JSON-ready: fields as their column values, rows normalised."""
    fields = {key: value for key, value in changes.items() if key not in ROW_KEYS}
    probe = Study.objects.get(pk=study.pk)
    _set_fields(probe, fields)
    _full_clean(probe)
    cleaned: dict[str, Any] = json_ready(
        {name: _model_field(name).value_from_object(probe) for name in fields}
    )
    for key in LIST_ROWS:
        if key in changes:
            cleaned[key] = _list_clean(key, changes[key])
    if IDENTIFIERS in changes:
        cleaned[IDENTIFIERS] = _identifiers_clean(study=study, by=by, items=changes[IDENTIFIERS])
    if SITES in changes:
        cleaned[SITES] = _sites_clean(study=study, sites=changes[SITES])
    return cleaned


def _identifier_key(item: dict[str, Any]) -> tuple[str, str, int | None]:
    # Local numbers are unique per region; other schemes across the registry.
    local = item["scheme"] == IdentifierScheme.LOCAL
    return item["scheme"], item["value"], item["region"] if local else None


def _changes_merged(pending: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
    """A later proposal joins the pending one: fields and lists replace, sites and
    identifiers add up."""
    merged = {**pending, **proposed}
    if SITES in pending and SITES in proposed:
        sites = {key: dict(fields) for key, fields in pending[SITES].items()}
        for key, fields in proposed[SITES].items():
            sites[key] = {**sites.get(key, {}), **fields}
        merged[SITES] = sites
    if IDENTIFIERS in pending and IDENTIFIERS in proposed:
        known = {_identifier_key(item) for item in pending[IDENTIFIERS]}
        added = [item for item in proposed[IDENTIFIERS] if _identifier_key(item) not in known]
        merged[IDENTIFIERS] = [*pending[IDENTIFIERS], *added]
    return merged


def _current(study: Study, key: str, proposed: Any) -> Any:
    """What the record holds now of what a change proposes, as JSON, for the audit trail."""
    if key in LIST_ROWS:
        return _list_now(study, key)
    if key == IDENTIFIERS:
        return [f"{i.scheme}:{i.value}" for i in study.identifiers.all()]
    if key == SITES:
        sites = {str(s.organisation_id): s for s in study.sites.all()}
        return {
            organisation: json_ready({f: getattr(sites[organisation], f) for f in fields})
            if organisation in sites
            else None
            for organisation, fields in proposed.items()
        }
    return json_ready(_model_field(key).value_from_object(study))


def _model_field(name: str) -> models.Field[Any, Any]:
    field = Study._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _value_text(field: models.Field[Any, Any], value: Any) -> Any:
    """A proposed or current value as a person reads it: a related row by its name."""
    model = field.related_model
    if value is not None and isinstance(model, type):
        related = model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else value
    return value


def change_diff(change: ChangeRequest) -> list[tuple[str, str, Any, Any]]:
    """Field by field, and site by site: (key, label, current value, proposed value)."""
    study = change.study
    rows: list[tuple[str, str, Any, Any]] = []
    for key, proposed in change.changes.items():
        if key in LIST_ROWS:
            now = _list_text(key, _list_now(study, key))
            rows.append((key, field_label(key), now, _list_text(key, proposed)))
        elif key == IDENTIFIERS:
            held = [i.value for i in study.identifiers.all()]
            added = [item["value"] for item in proposed]
            rows.append((key, _("Identifiers"), "; ".join(held) or None, "; ".join(held + added)))
        elif key == SITES:
            rows.extend(_sites_diff(study, proposed))
        else:
            field = _model_field(key)
            now = _value_text(field, field.value_from_object(study))
            rows.append((key, str(field.verbose_name), now, _value_text(field, proposed)))
    return rows


def _sites_diff(study: Study, proposed: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    organisations = Organisation.objects.in_bulk([int(key) for key in proposed])
    sites = {str(s.organisation_id): s for s in study.sites.all()}
    rows: list[tuple[str, str, Any, Any]] = []
    for key, fields in proposed.items():
        name = str(organisations.get(int(key), key))
        site = sites.get(key)
        if site is None:
            rows.append((f"{SITES}.{key}", name, None, _("New site")))
        for field, value in fields.items():
            label = getattr(Site._meta.get_field(field), "verbose_name", field)
            now = getattr(site, field) if site is not None else None
            rows.append((f"{SITES}.{key}.{field}", f"{name}: {label}", now, value))
    return rows


@transaction.atomic
def change_approve(*, change: ChangeRequest, by: User, reason: str = "") -> Study:
    """Apply a pending change (fields, rows and sites together) and publish the new version."""
    study = change.study
    if not can_review(by, study):
        raise PermissionDenied(code="not_reviewer", message=_("You cannot review this study."))
    if change.status != ChangeStatus.PENDING:
        raise InvalidTransition(code="not_pending", message=_("The change is already decided."))
    note = reason or change.note
    before = snapshot(study)
    for key, value in change.changes.items():
        if key not in ROW_KEYS:
            field = _model_field(key)
            setattr(study, field.attname, field.to_python(value))
    _full_clean(study)
    study.save()
    # Validated again: an identifier may have gone to another study since it was proposed.
    for key in LIST_ROWS:
        if key in change.changes:
            rows = _list_clean(key, change.changes[key])
            _list_write(study=study, by=by, key=key, rows=rows, reason=note)
    if SITES in change.changes:
        sites = _sites_clean(study=study, sites=change.changes[SITES])
        _sites_write(study=study, by=by, sites=sites, reason=note)
    if IDENTIFIERS in change.changes:
        held = {
            _identifier_key({"scheme": scheme, "value": value, "region": region})
            for scheme, value, region in study.identifiers.values_list("scheme", "value", "region")
        }
        wanted = [i for i in change.changes[IDENTIFIERS] if _identifier_key(i) not in held]
        items = _identifiers_clean(study=study, by=by, items=wanted)
        _identifiers_write(study=study, by=by, items=items, reason=note)
    _changed(study)
    change.status = ChangeStatus.APPROVED
    change.decided_by = by
    change.decided_at = timezone.now()
    change.decision_reason = reason
    change.save()
    audit_record(
        actor=by,
        action="study.change_approve",
        obj=study,
        before=before,
        changes={"change_request": [change.pk, "approved"]},
        reason=note,
        role=Role.NODE_COORDINATOR,
    )
    version_publish(study=study, by=by, reason=note)
    _notify(study=study, event="change_approved", people=[change.proposed_by], reason=reason)
    return study


@transaction.atomic
def change_reject(*, change: ChangeRequest, by: User, reason: str) -> ChangeRequest:
    if not can_review(by, change.study):
        raise PermissionDenied(code="not_reviewer", message=_("You cannot review this study."))
    if change.status != ChangeStatus.PENDING:
        raise InvalidTransition(code="not_pending", message=_("The change is already decided."))
    if not reason.strip():
        raise ValidationFailed(code="reason_required", field="reason", message=_("Give a reason."))
    change.status = ChangeStatus.REJECTED
    change.decided_by = by
    change.decided_at = timezone.now()
    change.decision_reason = reason
    change.save()
    audit_record(
        actor=by,
        action="study.change_reject",
        obj=change.study,
        changes={"change_request": [change.pk, "rejected"]},
        reason=reason,
    )
    _notify(study=change.study, event="change_rejected", people=[change.proposed_by], reason=reason)
    return change


def _transition(
    *,
    study: Study,
    by: User,
    to: StudyState,
    allowed_from: tuple[StudyState, ...],
    action: str,
    reason: str,
) -> Study:
    if study.state not in allowed_from:
        raise InvalidTransition(
            code=f"not_{'_or_'.join(allowed_from)}",
            message=_("The study is %(state)s; this step needs another state.")
            % {"state": study.get_state_display()},
        )
    before = snapshot(study)
    study.state = to
    if to == StudyState.PUBLISHED and study.published_at is None:
        study.published_at = timezone.now()
    study.save(update_fields=["state", "published_at"])
    _changed(study)
    audit_record(actor=by, action=action, obj=study, before=before, reason=reason)
    return study


@transaction.atomic
def study_submit(*, study: Study, by: User, note: str = "") -> Study:
    """The researcher sends the draft to the node for its quality check."""
    if not studies_editable_by(by).filter(pk=study.pk).exists():
        raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))
    _transition(
        study=study,
        by=by,
        to=StudyState.SUBMITTED,
        allowed_from=(StudyState.DRAFT, StudyState.RETURNED),
        action="study.submit",
        reason=note,
    )
    _notify(study=study, event="submitted", people=_coordinators(study), reason=note)
    return study


@transaction.atomic
def study_return(*, study: Study, by: User, comment: str) -> Study:
    """Send a submitted record back to its editors with the coordinator's comments."""
    if not can_review(by, study):
        raise PermissionDenied(code="not_reviewer", message=_("You cannot review this study."))
    if not comment.strip():
        raise ValidationFailed(
            code="comment_required", field="comment", message=_("Say what needs to change.")
        )
    study.review_comment = comment
    study.save(update_fields=["review_comment"])
    _transition(
        study=study,
        by=by,
        to=StudyState.RETURNED,
        allowed_from=(StudyState.SUBMITTED,),
        action="study.return",
        reason=comment,
    )
    _notify(study=study, event="returned", people=_editors(study), reason=comment)
    return study


@transaction.atomic
def study_publish(*, study: Study, by: User, reason: str = "") -> Study:
    """Make a record public after the coordinator's quality check."""
    if not can_review(by, study):
        raise PermissionDenied(code="not_reviewer", message=_("You cannot review this study."))
    _transition(
        study=study,
        by=by,
        to=StudyState.PUBLISHED,
        allowed_from=(StudyState.SUBMITTED, StudyState.DRAFT, StudyState.RETURNED),
        action="study.publish",
        reason=reason,
    )
    study.review_comment = ""
    study.status_confirmed_at = timezone.now()
    study.save(update_fields=["review_comment", "status_confirmed_at"])
    version_publish(study=study, by=by, reason=reason or _("Published"))
    _notify(study=study, event="published", people=_editors(study), reason=reason)
    # People who registered general interest and agreed hear of a new matching study.
    new_study_notice_queue(study_id=study.pk)
    return study


@transaction.atomic
def study_close(*, study: Study, by: User, state: StudyState, reason: str) -> Study:
    """Completed, withdrawn or archived: the end of a record's life, with a reason."""
    if state not in (StudyState.COMPLETED, StudyState.WITHDRAWN, StudyState.ARCHIVED):
        raise InvalidTransition(code="not_a_closing_state")
    if not can_review(by, study):
        raise PermissionDenied(code="not_reviewer", message=_("You cannot review this study."))
    if not reason.strip():
        raise ValidationFailed(code="reason_required", field="reason", message=_("Give a reason."))
    allowed = {
        StudyState.COMPLETED: (StudyState.PUBLISHED,),
        StudyState.WITHDRAWN: (
            StudyState.DRAFT,
            StudyState.SUBMITTED,
            StudyState.RETURNED,
            StudyState.PUBLISHED,
        ),
        StudyState.ARCHIVED: tuple(StudyState),
    }[state]
    _transition(
        study=study, by=by, to=state, allowed_from=allowed, action=f"study.{state}", reason=reason
    )
    if state == StudyState.COMPLETED:
        study.overall_status = OverallStatus.COMPLETED
        study.actual_end_date = study.actual_end_date or timezone.localdate()
        study.save(update_fields=["overall_status", "actual_end_date"])
        study.sites.update(recruitment_status=SiteStatus.CLOSED)
        version_publish(study=study, by=by, reason=reason)
    _notify(study=study, event=str(state), people=_editors(study), reason=reason)
    return study


@transaction.atomic
def study_confirm_status(*, study: Study, by: User) -> Study:
    """Someone responsible confirms that the record's status is current (six-month check)."""
    if (
        not studies_editable_by(by).filter(pk=study.pk).exists()
        and not sites_manageable_by(by).filter(study=study).exists()
    ):
        raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))
    study.status_confirmed_at = timezone.now()
    study.save(update_fields=["status_confirmed_at"])
    audit_record(
        actor=by,
        action="study.confirm_status",
        obj=study,
        changes={"status_confirmed_at": [None, study.status_confirmed_at.isoformat()]},
    )
    return study


@transaction.atomic
def study_import_note_resolve(*, study: Study, key: str, by: User) -> Study:
    """A coordinator has checked a part of the record an import could not understand: its
    note is kept as handled (so the same file imported again does not raise it anew)."""
    if not can_review(by, study):
        raise PermissionDenied(
            code="not_coordinator",
            message=_("Only the study's coordinators can mark what an import left as checked."),
        )
    study = Study.objects.select_for_update().get(pk=study.pk)
    before = notes_open(study.import_notes)
    notes = [dict(note) for note in study.import_notes]
    note = next((n for n in notes if n.get("key") == key and not n.get("handled_at")), None)
    if note is None:
        raise ValidationFailed(
            code="import_note_unknown",
            field="key",
            message=_("That note is already handled or no longer there."),
        )
    note.update(handled_at=timezone.now().isoformat(), handled_by=by.pk)
    study.import_notes = notes
    study.import_notes_open = notes_open(notes)
    study.save(update_fields=["import_notes", "import_notes_open"])
    audit_record(
        actor=by,
        action="study.import_note_resolve",
        obj=study,
        changes={
            "import_notes": [before, study.import_notes_open],
            "note": f"{note.get('field', '')}: {note.get('value', '')}"[:300],
        },
    )
    return study


def _applies_at_once(*, study: Study, by: User, site: Site | None = None) -> bool:
    """Whether the person's change applies at once (True) or waits for a coordinator (False).

    Coordinators of the study's regions and the node office change a record at once, its
    editors while it is unpublished; editors of a published record propose changes, and so
    do a site's staff for the site's details. Anyone else is refused.
    """
    if can_edit_directly(by, study) and studies_editable_by(by).filter(pk=study.pk).exists():
        return True
    if can_propose_changes(by, study, site):
        return False
    raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))


def _list_now(study: Study, key: str) -> list[dict[str, str]]:
    _model, columns = LIST_ROWS[key]
    return [
        dict(zip(columns, row, strict=True)) for row in getattr(study, key).values_list(*columns)
    ]


def _list_clean(key: str, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Conditions, interventions or outcomes, validated and normalised (ICD-10 codes)."""
    model, columns = LIST_ROWS[key]
    invalid = {
        "conditions": _("Check the condition's name and ICD-10 code."),
        "interventions": _("Check the intervention's type and name."),
        "outcomes": _("Check the outcome's kind, measure and time frame."),
    }[key]
    cleaned = []
    for index, row in enumerate(rows):
        values = {column: str(row.get(column) or "").strip() for column in columns}
        if key == "conditions" and values["icd10"]:
            code = icd10_normalise(values["icd10"])
            if code is None:
                raise ValidationFailed(
                    code="icd10_invalid",
                    field=f"conditions.{index}.icd10",
                    message=_("%(code)s is not an ICD-10 code (for example C50 or C50.9).")
                    % {"code": values["icd10"]},
                )
            values["icd10"] = code
        if key == "interventions":
            values["type"] = values["type"] or InterventionType.OTHER
        if key == "outcomes":
            values["kind"] = values["kind"] or OutcomeKind.PRIMARY
        try:
            model(**values).full_clean(exclude=["study"])
        except DjangoValidationError as error:
            raise ValidationFailed(
                code=f"{key}_invalid", field=f"{key}.{index}", message=invalid
            ) from error
        cleaned.append(values)
    return cleaned


def _list_text(key: str, rows: list[dict[str, str]]) -> str | None:
    """A list of rows as a person reads it in a diff."""
    if key == "conditions":
        texts = [f"{r['name']} ({r['icd10']})" if r["icd10"] else r["name"] for r in rows]
    elif key == "interventions":
        kinds = dict(InterventionType.choices)
        texts = [f"{kinds.get(r['type'], r['type'])}: {r['name']}" for r in rows]
    else:
        kinds = dict(OutcomeKind.choices)
        texts = [f"{kinds.get(r['kind'], r['kind'])}: {r['measure']}" for r in rows]
    return "; ".join(texts) or None


# How the audit trail names a row: codes, not labels, so the trail reads the same in any language.
_AUDIT_ROW = {
    "conditions": "{name} {icd10}",
    "interventions": "{type}: {name}",
    "outcomes": "{kind}: {measure}",
}


def _list_write(
    *, study: Study, by: User, key: str, rows: list[dict[str, str]], reason: str
) -> None:
    """Replace one list of a study's rows (validated by _list_clean), audited."""
    model, _columns = LIST_ROWS[key]
    before = [_AUDIT_ROW[key].format(**row).strip() for row in _list_now(study, key)]
    getattr(study, key).all().delete()
    model._default_manager.bulk_create([model(study=study, **row) for row in rows])
    if key == "conditions":
        derived = derive_therapeutic_area([row["icd10"] for row in rows])
        if derived:
            study.therapeutic_area = derived
            study.save(update_fields=["therapeutic_area"])
    audit_record(
        actor=by,
        action=f"study.set_{key}",
        obj=study,
        changes={key: [before, [_AUDIT_ROW[key].format(**row).strip() for row in rows]]},
        reason=reason,
    )


def _list_set(
    *, study: Study, by: User, key: str, rows: list[dict[str, Any]], reason: str, published: str
) -> Study | ChangeRequest:
    direct = _applies_at_once(study=study, by=by)
    cleaned = _list_clean(key, rows)
    if not direct:
        if cleaned == _list_now(study, key):
            return study
        return change_propose(study=study, by=by, changes={key: cleaned}, note=reason)
    _list_write(study=study, by=by, key=key, rows=cleaned, reason=reason)
    _changed(study)
    if study.is_public:
        version_publish(study=study, by=by, reason=reason or published)
    return study


@transaction.atomic
def study_set_conditions(
    *, study: Study, by: User, conditions: list[tuple[str, str]], reason: str = ""
) -> Study | ChangeRequest:
    """Replace the conditions (name, ICD-10 code) and derive the therapeutic area from codes;
    on a published record a researcher's change waits for the coordinator."""
    return _list_set(
        study=study,
        by=by,
        key="conditions",
        rows=[{"name": name, "icd10": code} for name, code in conditions],
        reason=reason,
        published=_("Conditions changed"),
    )


@transaction.atomic
def study_set_interventions(
    *, study: Study, by: User, interventions: list[tuple[str, str, str]], reason: str = ""
) -> Study | ChangeRequest:
    """Replace the interventions (type, name, description): WHO 13."""
    return _list_set(
        study=study,
        by=by,
        key="interventions",
        rows=[
            {"type": kind, "name": name, "description": description}
            for kind, name, description in interventions
        ],
        reason=reason,
        published=_("Interventions changed"),
    )


@transaction.atomic
def study_set_outcomes(
    *, study: Study, by: User, outcomes: list[tuple[str, str, str]], reason: str = ""
) -> Study | ChangeRequest:
    """Replace the outcomes (kind, measure, time frame): WHO 19 and 20."""
    return _list_set(
        study=study,
        by=by,
        key="outcomes",
        rows=[
            {"kind": kind, "measure": measure, "time_frame": time_frame}
            for kind, measure, time_frame in outcomes
        ],
        reason=reason,
        published=_("Outcomes changed"),
    )


def _identifier_in_use(*, value: str, holder: Study, by: User) -> ValidationFailed:
    """Name the study that holds an identifier only to someone who may see that study."""
    if studies_visible_to(by).filter(pk=holder.pk).exists():
        message = _("%(value)s is already used by study #%(id)s, %(title)s.") % {
            "value": value,
            "id": holder.pk,
            "title": holder.public_title[:80],
        }
    else:
        message = _(
            "%(value)s is already registered for another study. If it belongs to this one, "
            "contact the node office."
        ) % {"value": value}
    return ValidationFailed(code="identifier_in_use", field="identifier", message=message)


def _identifiers_clean(
    *, study: Study, by: User, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Identifiers to add, validated, normalised and free: {scheme, value, region, is_primary}."""
    cleaned: list[dict[str, Any]] = []
    for item in items:
        scheme = str(item.get("scheme") or "")
        if scheme not in IdentifierScheme.values:
            raise ValidationFailed(
                code="unknown_scheme",
                field="scheme",
                message=_("Choose one of the listed identifier schemes."),
            )
        value = ids.validate(scheme, str(item.get("value") or ""))
        region_id = item.get("region")
        region = Region.objects.filter(pk=region_id).first() if region_id else None
        if scheme == IdentifierScheme.LOCAL and region is None:
            raise ValidationFailed(
                code="local_needs_region",
                field="region",
                message=_("A local number needs its region."),
            )
        holder = identifier_owner(scheme, value, region)
        if holder is not None:
            raise _identifier_in_use(value=value, holder=holder, by=by)
        entry = {
            "scheme": scheme,
            "value": value,
            "region": region.pk if region is not None else None,
            "is_primary": bool(item.get("is_primary")),
        }
        if _identifier_key(entry) not in {_identifier_key(e) for e in cleaned}:
            cleaned.append(entry)
    return cleaned


def _identifiers_write(
    *, study: Study, by: User, items: list[dict[str, Any]], reason: str
) -> list[StudyIdentifier]:
    added = []
    for item in items:
        added.append(
            StudyIdentifier.objects.create(
                study=study,
                scheme=item["scheme"],
                value=item["value"],
                region_id=item["region"],
                is_primary=item["is_primary"],
            )
        )
        audit_record(
            actor=by,
            action="study.identifier_add",
            obj=study,
            changes={"identifiers": [None, f"{item['scheme']}:{item['value']}"]},
            reason=reason,
        )
    return added


@transaction.atomic
def identifier_add(
    *,
    study: Study,
    by: User,
    scheme: str,
    value: str,
    region: Region | None = None,
    is_primary: bool = False,
    reason: str = "",
) -> StudyIdentifier | ChangeRequest:
    """Add an identifier; refused when another study holds it (named to those who may see it).
    On a published record a researcher's identifier waits for the coordinator."""
    direct = _applies_at_once(study=study, by=by)
    item = {
        "scheme": scheme,
        "value": value,
        "region": region.pk if region is not None else None,
        "is_primary": is_primary,
    }
    items = _identifiers_clean(study=study, by=by, items=[item])
    if not direct:
        return change_propose(study=study, by=by, changes={IDENTIFIERS: items}, note=reason)
    (identifier,) = _identifiers_write(study=study, by=by, items=items, reason=reason)
    _changed(study)
    if study.is_public:
        version_publish(study=study, by=by, reason=reason or _("Identifier added"))
    return identifier


def _sites_clean(*, study: Study, sites: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Site details by organisation id, validated and JSON-ready: for a site the study has,
    what differs from it; for a new site, what is filled in."""
    current = {str(s.organisation_id): s for s in study.sites.all()}
    cleaned: dict[str, dict[str, Any]] = {}
    for key, fields in sites.items():
        unknown = set(fields) - set(Site.DETAIL_FIELDS)
        if unknown:
            raise ValidationFailed(
                code="unknown_field",
                field=sorted(unknown)[0],
                message=_("This field cannot be set."),
            )
        organisation = (
            Organisation.objects.filter(pk=int(key)).first() if str(key).isdigit() else None
        )
        if organisation is None:
            raise ValidationFailed(
                code="unknown_organisation",
                field="organisation",
                message=_("Choose an organisation from the search results."),
            )
        site = current.get(str(organisation.pk))
        probe = site or Site(study=study, organisation=organisation)
        before = {field: getattr(probe, field) for field in fields}
        for field, value in fields.items():
            setattr(probe, field, value)
        model_validate(probe, exclude=["study", "organisation", "region"], code="invalid")
        after = {field: getattr(probe, field) for field in fields}
        if site is None:
            cleaned[str(organisation.pk)] = json_ready(
                {f: v for f, v in after.items() if v not in ("", None)}
            )
        elif changed := {f: v for f, v in after.items() if v != before[f]}:
            cleaned[str(organisation.pk)] = json_ready(changed)
    return cleaned


def _sites_write(
    *, study: Study, by: User, sites: dict[str, dict[str, Any]], reason: str
) -> list[Site]:
    """Add or change sites (validated by _sites_clean), each audited."""
    written = []
    for key, fields in sites.items():
        organisation = Organisation.objects.get(pk=int(key))
        site = study.sites.filter(organisation=organisation).first()
        before = snapshot(site) if site is not None else None
        if site is None:
            site = Site(
                study=study,
                organisation=organisation,
                region=organisation.region,
                country=organisation.country,
            )
        for field, value in fields.items():
            setattr(site, field, value)
        site.updated_at = timezone.now()
        model_validate(site, code="invalid")
        site.save()
        if before is not None:
            audit_record(actor=by, action="site.update", obj=site, before=before, reason=reason)
        else:
            if study.lead_region is None and site.region is not None:
                study.lead_region = site.region
                study.save(update_fields=["lead_region"])
            label = f"{study.pk}: {organisation}"
            audit_record(
                actor=by, action="site.add", obj=site, before={}, label=label, reason=reason
            )
        written.append(site)
    return written


@transaction.atomic
def site_add(
    *, study: Study, by: User, organisation: Organisation, reason: str = "", **fields: Any
) -> Site | ChangeRequest:
    """Add a site at an organisation, one per organisation; on a published record a
    researcher's site waits for the coordinator."""
    direct = _applies_at_once(study=study, by=by)
    if study.sites.filter(organisation=organisation).exists():
        raise ValidationFailed(
            code="site_exists",
            field="organisation",
            message=_("The study already has a site at %(name)s.") % {"name": organisation},
        )
    sites = _sites_clean(study=study, sites={str(organisation.pk): fields})
    if not direct:
        return change_propose(study=study, by=by, changes={SITES: sites}, note=reason)
    (site,) = _sites_write(study=study, by=by, sites=sites, reason=reason)
    _changed(study)
    if study.is_public:
        version_publish(study=study, by=by, reason=reason or _("Site added"))
    return site


@transaction.atomic
def site_update(*, site: Site, by: User, reason: str = "", **fields: Any) -> Site | ChangeRequest:
    """Change a site's investigator, contact, target or opening date. On a published record a
    change by its researchers or the site's staff waits for the coordinator; recruitment
    status and enrolment are site_set_recruitment's."""
    study = site.study
    direct = _applies_at_once(study=study, by=by, site=site)
    sites = _sites_clean(study=study, sites={str(site.organisation_id): fields})
    if not sites:
        return site
    if not direct:
        return change_propose(study=study, by=by, changes={SITES: sites}, note=reason)
    _sites_write(study=study, by=by, sites=sites, reason=reason)
    site.refresh_from_db()
    _changed(study)
    if study.is_public:
        version_publish(study=study, by=by, reason=reason or _("Site updated"))
    return site


@transaction.atomic
def site_set_recruitment(
    *,
    site: Site,
    by: User,
    status: str,
    actual_enrolment: int | None = None,
    reported_on: date | None = None,
    reason: str = "",
) -> Site:
    """Site staff keep recruitment status and enrolment current; public at once, no approval."""
    if not sites_manageable_by(by).filter(pk=site.pk).exists():
        raise PermissionDenied(code="not_site_staff", message=_("You cannot change this site."))
    if status not in SiteStatus.values:
        raise ValidationFailed(
            code="invalid_status",
            field="recruitment_status",
            message=_("Choose one of the listed statuses."),
        )
    previous = site.actual_enrolment
    going_down = (
        actual_enrolment is not None and previous is not None and actual_enrolment < previous
    )
    if going_down and not reason.strip():
        raise ValidationFailed(
            code="reason_required",
            field="reason",
            message=_("Enrolment goes down from %(old)s to %(new)s: say why.")
            % {"old": previous, "new": actual_enrolment},
        )
    before = snapshot(site)
    site.recruitment_status = status
    if actual_enrolment is not None:
        site.actual_enrolment = actual_enrolment
        EnrolmentReport.objects.create(
            site=site,
            reported_on=reported_on or timezone.localdate(),
            actual_enrolment=actual_enrolment,
            reported_by=by,
        )
    site.updated_at = timezone.now()
    site.save()
    study = site.study
    study.status_confirmed_at = timezone.now()
    totals = [s.actual_enrolment for s in study.sites.all() if s.actual_enrolment is not None]
    if totals:
        study.actual_enrolment = sum(totals)
    study.save(update_fields=["status_confirmed_at", "actual_enrolment"])
    _changed(study)
    audit_record(actor=by, action="site.set_recruitment", obj=site, before=before, reason=reason)
    if study.is_public:
        version_publish(study=study, by=by, reason=reason or _("Recruitment status updated"))
    return site


@transaction.atomic
def study_merge(*, keep: Study, duplicate: Study, by: User, reason: str) -> Merge:
    """Fold a duplicate into the study kept: its sites and identifiers move; it is archived."""
    if keep.pk == duplicate.pk:
        raise ValidationFailed(
            code="same_study", field="duplicate", message=_("A study cannot be merged into itself.")
        )
    # Before the permission check: a merged study is no longer anyone's to review.
    if duplicate.merged_into_id is not None:
        raise InvalidTransition(code="already_merged", message=_("The study is already merged."))
    if not (can_review(by, keep) and can_review(by, duplicate)):
        raise PermissionDenied(code="not_reviewer", message=_("You cannot review this study."))
    if not reason.strip():
        raise ValidationFailed(code="reason_required", field="reason", message=_("Give a reason."))
    saved = public_snapshot(duplicate)
    have = set(keep.sites.values_list("organisation_id", flat=True))
    moved_sites = 0
    for site in duplicate.sites.all():
        if site.organisation_id in have:
            continue
        site.study = keep
        site.save(update_fields=["study"])
        moved_sites += 1
    have_ids = set(keep.identifiers.values_list("scheme", "value"))
    for identifier in duplicate.identifiers.all():
        if (identifier.scheme, identifier.value) in have_ids:
            identifier.delete()
        else:
            identifier.study = keep
            identifier.is_primary = False
            identifier.save(update_fields=["study", "is_primary"])
    duplicate.merged_into = keep
    duplicate.state = StudyState.ARCHIVED
    duplicate.save(update_fields=["merged_into", "state"])
    merge = Merge.objects.create(
        kept=keep, duplicate=duplicate, merged_by=by, reason=reason, duplicate_snapshot=saved
    )
    _changed(keep)
    audit_record(
        actor=by,
        action="study.merge",
        obj=keep,
        reason=reason,
        changes={"merged_from": [None, duplicate.pk], "sites_moved": [0, moved_sites]},
    )
    audit_record(
        actor=by,
        action="study.merged_into",
        obj=duplicate,
        reason=reason,
        changes={"merged_into": [None, keep.pk]},
    )
    if keep.state in PUBLIC_STATES:
        version_publish(study=keep, by=by, reason=reason)
    return merge
