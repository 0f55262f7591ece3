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
from studienav.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from studienav.core.models import Organisation, Region, Role, RoleAssignment, User
from studienav.core.services import send_templated_mail
from studienav.participation.services import new_study_notice_queue
from studienav.registry import identifiers as ids
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
    StudyIdentifier,
    StudyIntervention,
    StudyOutcome,
    StudyState,
)
from studienav.registry.records import (
    derive_therapeutic_area,
    identifier_owner,
    public_snapshot,
    version_publish,
)
from studienav.registry.selectors import (
    can_create_studies,
    can_edit_directly,
    can_review,
    sites_manageable_by,
    studies_editable_by,
    study_regions,
)
from studienav.search.index import search_index_study

# Fields a study form may set; everything else is the workflow's.
EDITABLE_FIELDS = frozenset(Study.PUBLIC_FIELDS) | {"lead_region"}


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
    try:
        study.full_clean(exclude=["created_by", "merged_into", "primary_sponsor"])
    except DjangoValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ValidationFailed(code="invalid", field=field, message=" ".join(messages)) from error


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
    """A change to a published record waits for a coordinator; one pending change per study."""
    probe = Study.objects.get(pk=study.pk)
    _set_fields(probe, changes)
    _full_clean(probe)
    serialisable = json_ready({field: getattr(probe, field) for field in changes})
    pending = study.change_requests.select_for_update().filter(status=ChangeStatus.PENDING).first()
    if pending is None:
        pending = ChangeRequest(study=study, proposed_by=by, changes={}, note=note)
    pending.changes = {**pending.changes, **serialisable}
    pending.note = note or pending.note
    pending.proposed_by = by
    pending.proposed_at = timezone.now()
    pending.save()
    audit_record(
        actor=by,
        action="study.change_propose",
        obj=study,
        changes={k: [json_ready(getattr(study, k)), v] for k, v in serialisable.items()},
        reason=note,
    )
    _notify(study=study, event="change_proposed", people=_coordinators(study), reason=note)
    return pending


def _model_field(name: str) -> models.Field[Any, Any]:
    field = Study._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def change_diff(change: ChangeRequest) -> list[tuple[str, str, Any, Any]]:
    """Field-by-field: (field, label, current value, proposed value)."""
    current = snapshot(change.study)
    rows = []
    for field, proposed in change.changes.items():
        label = str(_model_field(field).verbose_name)
        rows.append((field, label, current.get(field), proposed))
    return rows


@transaction.atomic
def change_approve(*, change: ChangeRequest, by: User, reason: str = "") -> Study:
    """Apply a pending change to the published record and publish the new version."""
    study = change.study
    if not can_review(by, study):
        raise PermissionDenied(code="not_reviewer", message=_("You cannot review this study."))
    if change.status != ChangeStatus.PENDING:
        raise InvalidTransition(code="not_pending", message=_("The change is already decided."))
    before = snapshot(study)
    for field, value in change.changes.items():
        setattr(study, field, _model_field(field).to_python(value))
    _full_clean(study)
    study.save()
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
        reason=reason or change.note,
        role=Role.NODE_COORDINATOR,
    )
    version_publish(study=study, by=by, reason=reason or change.note)
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
def identifier_add(
    *,
    study: Study,
    by: User,
    scheme: str,
    value: str,
    region: Region | None = None,
    is_primary: bool = False,
) -> StudyIdentifier:
    """Add an identifier; refused when another study already holds it (that study is named)."""
    if not studies_editable_by(by).filter(pk=study.pk).exists():
        raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))
    if scheme not in IdentifierScheme.values:
        raise ValidationFailed(
            code="unknown_scheme",
            field="scheme",
            message=_("Choose one of the listed identifier schemes."),
        )
    normalised = ids.validate(scheme, value)
    if scheme == IdentifierScheme.LOCAL and region is None:
        raise ValidationFailed(
            code="local_needs_region", field="region", message=_("A local number needs its region.")
        )
    owner = identifier_owner(scheme, normalised, region)
    if owner is not None:
        raise ValidationFailed(
            code="identifier_in_use",
            field="identifier",
            message=_("%(value)s is already used by study #%(id)s, %(title)s.")
            % {"value": normalised, "id": owner.pk, "title": owner.public_title[:80]},
        )
    identifier = StudyIdentifier.objects.create(
        study=study, scheme=scheme, value=normalised, region=region, is_primary=is_primary
    )
    _changed(study)
    audit_record(
        actor=by,
        action="study.identifier_add",
        obj=study,
        changes={"identifiers": [None, f"{scheme}:{normalised}"]},
    )
    return identifier


@transaction.atomic
def study_set_conditions(*, study: Study, by: User, conditions: list[tuple[str, str]]) -> Study:
    """Replace the conditions (name, ICD-10 code) and derive the therapeutic area from codes."""
    from studienav.registry.icd10 import icd10_normalise

    if not studies_editable_by(by).filter(pk=study.pk).exists():
        raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))
    cleaned = []
    for index, (name, code) in enumerate(conditions):
        normalised = icd10_normalise(code) if code else ""
        if normalised is None:
            raise ValidationFailed(
                code="icd10_invalid",
                field=f"conditions.{index}.icd10",
                message=_("%(code)s is not an ICD-10 code (for example C50 or C50.9).")
                % {"code": code},
            )
        cleaned.append((name.strip(), normalised))
    before = [f"{c.name} {c.icd10}".strip() for c in study.conditions.all()]
    study.conditions.all().delete()
    for name, code in cleaned:
        study.conditions.create(name=name, icd10=code)
    derived = derive_therapeutic_area([code for _name, code in cleaned])
    if derived:
        study.therapeutic_area = derived
        study.save(update_fields=["therapeutic_area"])
    _changed(study)
    audit_record(
        actor=by,
        action="study.set_conditions",
        obj=study,
        changes={"conditions": [before, [f"{n} {c}".strip() for n, c in cleaned]]},
    )
    if study.is_public:
        version_publish(study=study, by=by, reason=_("Conditions changed"))
    return study


@transaction.atomic
def site_add(*, study: Study, by: User, organisation: Organisation, **fields: Any) -> Site:
    """Add a site at an organisation; a study has at most one site per organisation."""
    if not studies_editable_by(by).filter(pk=study.pk).exists():
        raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))
    if study.sites.filter(organisation=organisation).exists():
        raise ValidationFailed(
            code="site_exists",
            field="organisation",
            message=_("The study already has a site at %(name)s.") % {"name": organisation},
        )
    site = Site(
        study=study,
        organisation=organisation,
        region=organisation.region,
        country=organisation.country,
        **fields,
    )
    site.full_clean()
    site.save()
    if study.lead_region is None and site.region is not None:
        study.lead_region = site.region
        study.save(update_fields=["lead_region"])
    _changed(study)
    audit_record(
        actor=by, action="site.add", obj=site, before={}, label=f"{study.pk}: {organisation}"
    )
    if study.is_public:
        version_publish(study=study, by=by, reason=_("Site added"))
    return site


@transaction.atomic
def site_update(*, site: Site, by: User, reason: str = "", **fields: Any) -> Site:
    """Change a site's investigator, contact, targets or dates."""
    if not sites_manageable_by(by).filter(pk=site.pk).exists():
        raise PermissionDenied(code="not_site_staff", message=_("You cannot change this site."))
    before = snapshot(site)
    for field, value in fields.items():
        setattr(site, field, value)
    site.updated_at = timezone.now()
    site.full_clean()
    site.save()
    _changed(site.study)
    audit_record(actor=by, action="site.update", obj=site, before=before, reason=reason)
    if site.study.is_public:
        version_publish(study=site.study, by=by, reason=reason or _("Site updated"))
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


def _replace_rows(
    *,
    study: Study,
    by: User,
    relation: str,
    model: Any,
    rows: list[Any],
    summary: Any,
    invalid: str,
    reason: str,
) -> Study:
    """Validate and replace one list of a study's rows (interventions, outcomes), audited."""
    if not studies_editable_by(by).filter(pk=study.pk).exists():
        raise PermissionDenied(code="not_editor", message=_("You cannot change this study."))
    for index, row in enumerate(rows):
        try:
            row.full_clean(exclude=["study"])
        except DjangoValidationError as error:
            raise ValidationFailed(
                code=f"{relation}_invalid", field=f"{relation}.{index}", message=invalid
            ) from error
    manager = getattr(study, relation)
    before = [summary(row) for row in manager.all()]
    manager.all().delete()
    model.objects.bulk_create(rows)
    _changed(study)
    audit_record(
        actor=by,
        action=f"study.set_{relation}",
        obj=study,
        changes={relation: [before, [summary(row) for row in rows]]},
    )
    if study.is_public:
        version_publish(study=study, by=by, reason=reason)
    return study


@transaction.atomic
def study_set_interventions(
    *, study: Study, by: User, interventions: list[tuple[str, str, str]]
) -> Study:
    """Replace the interventions (type, name, description): WHO 13."""
    rows = [
        StudyIntervention(
            study=study,
            type=kind or InterventionType.OTHER,
            name=name.strip(),
            description=description.strip(),
        )
        for kind, name, description in interventions
    ]
    return _replace_rows(
        study=study,
        by=by,
        relation="interventions",
        model=StudyIntervention,
        rows=rows,
        summary=lambda row: f"{row.type}: {row.name}",
        invalid=_("Check the intervention's type and name."),
        reason=_("Interventions changed"),
    )


@transaction.atomic
def study_set_outcomes(*, study: Study, by: User, outcomes: list[tuple[str, str, str]]) -> Study:
    """Replace the outcomes (kind, measure, time frame): WHO 19 and 20."""
    rows = [
        StudyOutcome(
            study=study,
            kind=kind or OutcomeKind.PRIMARY,
            measure=measure.strip(),
            time_frame=time_frame.strip(),
        )
        for kind, measure, time_frame in outcomes
    ]
    return _replace_rows(
        study=study,
        by=by,
        relation="outcomes",
        model=StudyOutcome,
        rows=rows,
        summary=lambda row: f"{row.kind}: {row.measure}",
        invalid=_("Check the outcome's kind, measure and time frame."),
        reason=_("Outcomes changed"),
    )
