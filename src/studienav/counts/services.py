"""Every write of patient counts: definitions and their versions, questions to the regions,
region privacy rules, agents. Each atomic, permission-checked and audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import PermissionDenied, ValidationFailed, model_validate
from studienav.core.models import Region, Role, User
from studienav.counts import signatures
from studienav.counts.definition import definition_fingerprint, definition_parse
from studienav.counts.federation import question_send, region_answers_create
from studienav.counts.models import (
    PRIVACY_FIELDS,
    CohortDefinition,
    CohortVersion,
    CountAgent,
    FederatedQuestion,
    RegionPrivacy,
)
from studienav.counts.selectors import (
    can_build,
    can_manage_agents,
    definitions_visible_to,
    linkable_requests,
    officer_regions,
    question_regions,
)
from studienav.feasibility.models import StudyRequest


def _require_builder(by: User) -> None:
    if not can_build(by):
        raise PermissionDenied(
            code="not_allowed_to_build",
            message=_("Only node office, node coordinators and researchers ask for counts."),
        )


def _version_add(
    *, definition: CohortDefinition, by: User, content: Any, note: str
) -> CohortVersion:
    parsed = definition_parse(content)
    number = (definition.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = CohortVersion(
        definition=definition,
        number=number,
        content=parsed.model_dump(mode="json"),
        fingerprint=definition_fingerprint(parsed),
        note=note[:300],
        created_by=by,
    )
    model_validate(version)
    version.save()
    audit_record(
        actor=by,
        action="counts.definition.version",
        obj=definition,
        changes={"version": number, "fingerprint": version.fingerprint},
        reason=note,
    )
    return version


@transaction.atomic
def definition_create(
    *, by: User, title: str, content: Any, regions: list[Region] | None = None, note: str = ""
) -> CohortDefinition:
    """Store a new definition (validated) as its version 1."""
    _require_builder(by)
    definition = CohortDefinition(title=title.strip()[:200], owner=by)
    model_validate(definition)
    definition.save()
    definition.regions.set(regions or [])
    audit_record(
        actor=by,
        action="counts.definition.create",
        obj=definition,
        before={},
        changes={"regions": [r.code for r in regions or []]},
        reason=note,
    )
    _version_add(definition=definition, by=by, content=content, note=note or _("First version"))
    return definition


@transaction.atomic
def definition_revise(
    *,
    definition: CohortDefinition,
    by: User,
    content: Any,
    title: str | None = None,
    regions: list[Region] | None = None,
    note: str = "",
) -> CohortVersion:
    """Edit a definition: a new version; earlier versions and their answers stay as they were."""
    if not definitions_visible_to(by).filter(pk=definition.pk).exists():
        raise PermissionDenied(code="not_owner", message=_("This definition is not yours."))
    before = snapshot(definition)
    if title is not None and title.strip() and title.strip() != definition.title:
        definition.title = title.strip()[:200]
        model_validate(definition)
        definition.save(update_fields=["title"])
        audit_record(actor=by, action="counts.definition.rename", obj=definition, before=before)
    if regions is not None:
        old = sorted(definition.regions.values_list("code", flat=True))
        new = sorted(r.code for r in regions)
        if old != new:
            definition.regions.set(regions)
            audit_record(
                actor=by,
                action="counts.definition.regions",
                obj=definition,
                changes={"regions": [old, new]},
            )
    return _version_add(definition=definition, by=by, content=content, note=note)


@transaction.atomic
def _question_create(
    *, version: CohortVersion, by: User, study_request: StudyRequest | None
) -> FederatedQuestion:
    _require_builder(by)
    if not definitions_visible_to(by).filter(pk=version.definition_id).exists():
        raise PermissionDenied(code="not_owner", message=_("This definition is not yours."))
    if study_request is not None and not linkable_requests(by).filter(pk=study_request.pk).exists():
        raise PermissionDenied(
            code="not_your_request",
            field="study_request",
            message=_("You cannot attach a count to this study request."),
        )
    question = FederatedQuestion(version=version, asked_by=by, study_request=study_request)
    model_validate(question)
    question.save()
    regions = question_regions(version.definition)
    region_answers_create(question=question, regions=regions)
    audit_record(
        actor=by,
        action="counts.question.ask",
        obj=question,
        before={},
        changes={"regions": [r.code for r in regions], "fingerprint": version.fingerprint},
    )
    return question


def question_ask(
    *, version: CohortVersion, by: User, study_request: StudyRequest | None = None
) -> FederatedQuestion:
    """Send one version to its regions: the question is stored first (atomic), then each
    region's agent is asked once; a region that does not answer stays waiting."""
    question = _question_create(version=version, by=by, study_request=study_request)
    question_send(question=question)
    return question


@transaction.atomic
def privacy_update(*, region: Region, by: User, data: dict[str, Any], reason: str) -> RegionPrivacy:
    """The region's disclosure officer sets its rules: threshold, noise, DP, narrowness, lockout."""
    if not officer_regions(by).filter(pk=region.pk).exists():
        raise PermissionDenied(
            code="not_disclosure_officer",
            message=_("Only the region's data-disclosure officers set its rules."),
        )
    if not reason.strip():
        raise ValidationFailed(code="reason_missing", field="reason", message=_("Say why."))
    stored, _created = RegionPrivacy.objects.select_for_update().get_or_create(region=region)
    before = snapshot(stored)
    for name in PRIVACY_FIELDS:
        if name in data:
            setattr(stored, name, data[name])
    stored.updated_at = timezone.now()
    stored.updated_by = by
    model_validate(stored)
    stored.save()
    audit_record(
        actor=by,
        action="counts.privacy.update",
        obj=stored,
        before=before,
        reason=reason,
        role=Role.DISCLOSURE_OFFICER,
    )
    return stored


@transaction.atomic
def agent_register(*, region: Region, by: User, url: str, public_key: str) -> CountAgent:
    """Node office registers (or replaces) a region's count agent and its public key."""
    if not can_manage_agents(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office registers agents.")
        )
    try:
        signatures.public_key_load(public_key)
    except signatures.BadKey as error:
        raise ValidationFailed(
            code="bad_key",
            field="public_key",
            message=_("The public key must be base64 of 32 bytes (an Ed25519 key)."),
        ) from error
    agent = CountAgent.objects.filter(region=region).first() or CountAgent(region=region)
    before = snapshot(agent) if agent.pk else {}
    agent.url = url.strip()
    agent.public_key = public_key.strip()
    agent.is_active = True
    agent.added_by = by
    model_validate(agent)
    agent.save()
    audit_record(
        actor=by, action="counts.agent.register", obj=agent, before=before, role=Role.NODE_OFFICE
    )
    return agent
