"""Writes on a region's case: assign, assess, clarify, decide, record delivery, close.

Only the region's own disclosure officers take these steps (node office does not: the
assessment is the region's own), except the requester's answer to a clarification. Each step
is atomic, checked against the case's state machine, and audited with its reason:

    received → assigned → assessing ⇄ clarification (clock paused) → decided
    decided → delivered → closed        (approving decisions)
    decided → closed                    (rejections)
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
    model_validate,
)
from studienav.core.models import Role, User
from studienav.disclosure import documents, files
from studienav.disclosure.manifest import manifest_parse
from studienav.disclosure.models import (
    CaseState,
    ClarificationMessage,
    Decision,
    DecisionKind,
    Delivery,
    RegionCase,
    SecrecyAssessment,
)
from studienav.disclosure.selectors import can_handle, is_requester_of, officer_regions
from studienav.disclosure.services import mail_person

OFFICER = Role.DISCLOSURE_OFFICER


def _require_officer(by: User, case: RegionCase) -> None:
    if not can_handle(by, case):
        raise PermissionDenied(
            code="not_officer_of_region",
            message=_("Only the region's disclosure officers handle its case."),
        )


def _require_state(case: RegionCase, *states: str) -> None:
    if case.state not in states:
        raise InvalidTransition(
            code="wrong_state",
            field="state",
            message=_("This step is not possible while the case is “%(state)s”.")
            % {"state": case.get_state_display()},
        )


def _locked(case: RegionCase) -> RegionCase:
    return (
        RegionCase.objects.select_for_update().select_related("region", "request").get(pk=case.pk)
    )


def _move(
    case: RegionCase, *, by: User, state: str, action: str, reason: str, **times: object
) -> None:
    before = snapshot(case)
    case.state = state
    for name, value in times.items():
        setattr(case, name, value)
    model_validate(case, exclude=["request"])
    case.save()
    audit_record(actor=by, action=action, obj=case, before=before, role=OFFICER, reason=reason)


@transaction.atomic
def case_assign(*, by: User, case: RegionCase, handler: User, reason: str = "") -> RegionCase:
    """Give the case a handler among the region's disclosure officers (again to hand it on)."""
    _require_officer(by, case)
    case = _locked(case)
    _require_state(case, *[s for s in CaseState.values if s != CaseState.CLOSED])
    if not officer_regions(handler).filter(pk=case.region_id).exists():
        raise ValidationFailed(
            code="handler_not_officer",
            field="handler",
            message=_("The case handler must be a disclosure officer of %(region)s.")
            % {"region": case.region.short_name},
        )
    state = CaseState.ASSIGNED if case.state == CaseState.RECEIVED else case.state
    _move(
        case,
        by=by,
        state=state,
        action="disclosure.case.assign",
        reason=reason or _("Case handler: %(name)s") % {"name": handler.full_name},
        handler=handler,
        assigned_at=case.assigned_at or timezone.now(),
    )
    return case


@transaction.atomic
def case_assess(
    *,
    by: User,
    case: RegionCase,
    data_concerned: str,
    harm_test: str,
    outcome: str,
    legal_basis_checked: bool,
    ethics_covers: bool,
    minimisation: str = "",
    internal_notes: str = "",
) -> SecrecyAssessment:
    """Record the secrecy assessment (chapter 25 OSL): which data, the harm test, its outcome,
    the checks of legal basis and ethics coverage, and what was left out (minimisation)."""
    _require_officer(by, case)
    case = _locked(case)
    _require_state(case, CaseState.ASSIGNED, CaseState.ASSESSING)
    assessment = SecrecyAssessment(
        case=case,
        data_concerned=data_concerned.strip(),
        harm_test=harm_test.strip(),
        outcome=outcome,
        legal_basis_checked=legal_basis_checked,
        ethics_covers=ethics_covers,
        minimisation=minimisation.strip(),
        internal_notes=internal_notes.strip(),
        assessed_by=by,
    )
    model_validate(assessment, exclude=["case", "assessed_by"])
    assessment.save()
    audit_record(
        actor=by,
        action="disclosure.assessment.record",
        obj=assessment,
        before={},
        role=OFFICER,
        changes={"texts_written": True},
    )
    if case.state != CaseState.ASSESSING:
        _move(
            case,
            by=by,
            state=CaseState.ASSESSING,
            action="disclosure.case.assess",
            reason=_("Secrecy assessment recorded"),
        )
    return assessment


def _message_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed(code="text_empty", field="text", message=_("Write the message."))
    return text


@transaction.atomic
def case_clarification_ask(*, by: User, case: RegionCase, text: str) -> ClarificationMessage:
    """Ask the requester to clarify: the clock pauses until they answer in the same thread."""
    _require_officer(by, case)
    case = _locked(case)
    _require_state(case, CaseState.ASSIGNED, CaseState.ASSESSING, CaseState.CLARIFICATION)
    message = ClarificationMessage(case=case, author=by, is_question=True, text=_message_text(text))
    model_validate(message, exclude=["case", "author"])
    message.save()
    audit_record(
        actor=by, action="disclosure.clarification.ask", obj=message, before={}, role=OFFICER
    )
    if case.state != CaseState.CLARIFICATION:
        _move(
            case,
            by=by,
            state=CaseState.CLARIFICATION,
            action="disclosure.case.pause",
            reason=message.text,
            paused_since=message.sent_at,
        )
    mail_person(
        case.request.requester,
        "disclosure/email/clarification",
        {"target": case.request, "case": case},
    )
    return message


@transaction.atomic
def case_clarification_answer(*, by: User, case: RegionCase, text: str) -> ClarificationMessage:
    """The requester answers in the thread; the clock runs again and the region assesses."""
    if not is_requester_of(by, case.request):
        raise PermissionDenied(
            code="not_requester", message=_("Only the requester answers the question.")
        )
    case = _locked(case)
    _require_state(case, CaseState.CLARIFICATION)
    message = ClarificationMessage(
        case=case, author=by, is_question=False, text=_message_text(text)
    )
    model_validate(message, exclude=["case", "author"])
    message.save()
    audit_record(
        actor=by,
        action="disclosure.clarification.answer",
        obj=message,
        before={},
        role=Role.RESEARCHER,
    )
    before = snapshot(case)
    case.state = CaseState.ASSESSING
    case.paused_since = None
    model_validate(case, exclude=["request"])
    case.save()
    audit_record(
        actor=by,
        action="disclosure.case.resume",
        obj=case,
        before=before,
        role=Role.RESEARCHER,
        reason=_("The requester answered"),
    )
    officers = [case.handler] if case.handler else []
    for officer in officers:
        mail_person(officer, "disclosure/email/answered", {"target": case, "case": case})
    return message


@transaction.atomic
def case_decide(
    *,
    by: User,
    case: RegionCase,
    kind: str,
    scope: str = "",
    conditions: str = "",
    reasons: str = "",
    appeal: str = "",
    language: str | None = None,
) -> Decision:
    """Decide after the secrecy assessment: approve, approve with conditions, approve in part
    or reject with reasons. Appealable decisions carry the appeal information (the region's
    standard text unless given). The decision PDF is generated and kept now."""
    _require_officer(by, case)
    case = _locked(case)
    _require_state(case, CaseState.ASSESSING)
    if not case.assessments.exists():
        raise InvalidTransition(
            code="no_assessment",
            field="kind",
            message=_("Record the secrecy assessment before deciding."),
        )
    language = language or case.request.decision_language
    if kind != DecisionKind.APPROVE and not appeal.strip():
        appeal = documents.appeal_text_default(case.region, language)
    decision = Decision(
        case=case,
        kind=kind,
        scope=scope.strip(),
        conditions=conditions.strip(),
        reasons=reasons.strip(),
        appeal=appeal.strip() if kind != DecisionKind.APPROVE else "",
        language=language,
        decided_by=by,
    )
    if kind == DecisionKind.CONDITIONS and not decision.conditions:
        raise ValidationFailed(
            code="conditions_required",
            field="conditions",
            message=_("State the conditions (förbehåll) of the disclosure."),
        )
    if kind in (DecisionKind.REJECT, DecisionKind.IN_PART) and not decision.reasons:
        raise ValidationFailed(
            code="reasons_required",
            field="reasons",
            message=_("Give the reasons for refusing (all or part of) the request."),
        )
    if kind == DecisionKind.IN_PART and not decision.scope:
        raise ValidationFailed(
            code="scope_required",
            field="scope",
            message=_("Say which part of the data is disclosed."),
        )
    model_validate(decision, exclude=["case", "decided_by"])
    decision.save()
    decision.pdf_stored_name, decision.pdf_sha256 = files.bytes_store(
        documents.decision_pdf(decision, language)
    )
    decision.save(update_fields=["pdf_stored_name", "pdf_sha256"])
    audit_record(
        actor=by,
        action="disclosure.decision.make",
        obj=decision,
        before={},
        role=OFFICER,
        reason=decision.reasons or decision.conditions or decision.get_kind_display(),
        label=f"{case.reference} {decision.get_kind_display()}",
    )
    _move(
        case,
        by=by,
        state=CaseState.DECIDED,
        action="disclosure.case.decide",
        reason=decision.get_kind_display(),
        decided_at=decision.decided_at,
    )
    mail_person(
        case.request.requester, "disclosure/email/decided", {"target": case.request, "case": case}
    )
    return decision


@transaction.atomic
def case_delivery_record(
    *,
    by: User,
    case: RegionCase,
    description: str,
    delivered_on: date,
    channel: str,
    manifest: str,
) -> Delivery:
    """Record what was delivered, when, how, and the files' checksums; the data goes directly
    from the region to the requester's secure environment, never through studienav."""
    _require_officer(by, case)
    case = _locked(case)
    _require_state(case, CaseState.DECIDED)
    decision = Decision.objects.get(case=case)
    if not decision.is_approving:
        raise InvalidTransition(
            code="rejected", field="state", message=_("A rejected request has no delivery.")
        )
    if (
        delivered_on > timezone.localdate()
        or delivered_on < timezone.localtime(decision.decided_at).date()
    ):
        raise ValidationFailed(
            code="delivered_on_range",
            field="delivered_on",
            message=_("The delivery date lies between the decision and today."),
        )
    delivery = Delivery(
        case=case,
        description=description.strip(),
        delivered_on=delivered_on,
        channel=channel,
        manifest=manifest_parse(manifest),
        recorded_by=by,
    )
    model_validate(delivery, exclude=["case", "recorded_by"])
    delivery.save()
    audit_record(
        actor=by,
        action="disclosure.delivery.record",
        obj=delivery,
        before={},
        role=OFFICER,
        reason=delivery.description,
    )
    _move(
        case,
        by=by,
        state=CaseState.DELIVERED,
        action="disclosure.case.deliver",
        reason=_("%(n)s files delivered") % {"n": len(delivery.manifest)},
        delivered_at=timezone.now(),
    )
    return delivery


@transaction.atomic
def case_close(*, by: User, case: RegionCase, reason: str = "") -> RegionCase:
    """Close a delivered case, or a rejected one once decided."""
    _require_officer(by, case)
    case = _locked(case)
    _require_state(case, CaseState.DELIVERED, CaseState.DECIDED)
    if case.state == CaseState.DECIDED and Decision.objects.get(case=case).is_approving:
        raise InvalidTransition(
            code="not_delivered",
            field="state",
            message=_("Record the delivery before closing an approved case."),
        )
    _move(
        case,
        by=by,
        state=CaseState.CLOSED,
        action="disclosure.case.close",
        reason=reason or _("Case closed"),
        closed_at=timezone.now(),
    )
    return case
