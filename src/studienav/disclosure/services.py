"""Writes on the request side: the requester's draft, its checks and submission, and node
office's common notes and questions. Each atomic, permission-checked and audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
    model_validate,
)
from studienav.core.models import Region, Role, RoleAssignment, User
from studienav.core.selectors import has_role, node_regions, organisations_where
from studienav.core.services import send_templated_mail
from studienav.disclosure import ethics, files
from studienav.disclosure.models import (
    ApprovalKind,
    Attachment,
    AttachmentKind,
    CommonNote,
    Condition,
    DataWanted,
    DisclosureRequest,
    EthicsApproval,
    LegalBasis,
    NoteKind,
    RegionCase,
    RequestState,
)
from studienav.disclosure.selectors import can_keep_common_notes, is_requester_of, officer_regions
from studienav.registry.selectors import studies_visible_to

# The fields of the harmonised form the requester fills in; the workflow sets the rest.
REQUEST_FIELDS = (
    "title",
    "organisation",
    "purpose",
    "legal_basis",
    "legal_basis_details",
    "is_pseudonymised",
    "key_holder",
    "delivery_format",
    "secure_channel",
    "delivery_details",
    "retain_until",
    "deletion_plan",
    "accepted_conditions",
    "study",
    "decision_language",
)
DATA_WANTED_FIELDS = (
    "registers",
    "variables",
    "period_start",
    "period_end",
    "population",
    "includes_images",
    "images",
)


def can_request(user: User) -> bool:
    """Researchers request health data."""
    return has_role(user, Role.RESEARCHER)


def officers_of(region: Region) -> list[User]:
    """The region's disclosure officers, who are told of new requests and deadlines."""
    assignments = (
        RoleAssignment.objects.active()
        .filter(role=Role.DISCLOSURE_OFFICER, region=region, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    )
    return [a.user for a in assignments]


def mail_person(user: User, template: str, context: dict[str, Any]) -> None:
    """Tell a person that something waits behind sign-in; the e-mail never holds the content."""
    with translation.override(user.language):
        link = settings.SITE_URL + context["target"].get_absolute_url()
    send_templated_mail(
        to=user.email,
        language=user.language,
        template=template,
        context={**context, "link": link, "person": user},
    )


def _require_requester(by: User, request: DisclosureRequest) -> None:
    if not is_requester_of(by, request):
        raise PermissionDenied(
            code="not_requester", message=_("Only the requester changes the request.")
        )


def _require_draft(request: DisclosureRequest) -> None:
    if not request.is_draft:
        raise InvalidTransition(
            code="not_draft",
            field="state",
            message=_("The request is submitted; it can no longer be changed."),
        )


def _apply(by: User, request: DisclosureRequest, data: dict[str, Any]) -> None:
    unknown = set(data) - set(REQUEST_FIELDS)
    if unknown:
        raise ValidationFailed(
            code="unknown_field",
            field=sorted(unknown)[0],
            message=_("This field is not part of a request."),
        )
    organisation = data.get("organisation")
    if organisation is not None and not (
        organisations_where(by, Role.RESEARCHER).filter(pk=organisation.pk).exists()
    ):
        raise ValidationFailed(
            code="not_your_organisation",
            field="organisation",
            message=_("Choose an organisation where you are a researcher."),
        )
    study = data.get("study")
    if study is not None and not studies_visible_to(by).filter(pk=study.pk).exists():
        raise ValidationFailed(
            code="unknown_study", field="study", message=_("No such study in the registry.")
        )
    conditions = data.get("accepted_conditions")
    if conditions is not None and not set(conditions) <= set(Condition.values):
        raise ValidationFailed(
            code="unknown_condition",
            field="accepted_conditions",
            message=_("Unknown confidentiality condition."),
        )
    for name, value in data.items():
        setattr(request, name, value)
    request.updated_at = timezone.now()
    model_validate(request)


@transaction.atomic
def request_create(*, by: User, data: dict[str, Any]) -> DisclosureRequest:
    """A researcher starts a request: saved as a draft, nothing is sent yet."""
    if not can_request(by):
        raise PermissionDenied(
            code="not_researcher", message=_("Only researchers request health data.")
        )
    request = DisclosureRequest(requester=by)
    _apply(by, request, data)
    request.save()
    audit_record(
        actor=by,
        action="disclosure.request.create",
        obj=request,
        before={},
        role=Role.RESEARCHER,
        reason=_("Saved as a draft"),
    )
    return request


@transaction.atomic
def request_update(
    *, by: User, request: DisclosureRequest, data: dict[str, Any], reason: str = ""
) -> DisclosureRequest:
    """The requester changes their draft."""
    _require_requester(by, request)
    _require_draft(request)
    before = snapshot(request)
    _apply(by, request, data)
    request.save()
    audit_record(
        actor=by,
        action="disclosure.request.update",
        obj=request,
        before=before,
        role=Role.RESEARCHER,
        reason=reason or _("Draft saved"),
    )
    return request


@transaction.atomic
def attachment_add(
    *,
    by: User,
    request: DisclosureRequest,
    kind: str,
    upload: File,
    ethics_approval: EthicsApproval | None = None,
) -> Attachment:
    """Store a PDF of the request (checked by its first bytes, within the size limit)."""
    _require_requester(by, request)
    name = files.upload_check(upload)
    with files.upload_stored(upload) as (stored_name, sha256):
        attachment = Attachment(
            request=request,
            kind=kind,
            ethics_approval=ethics_approval,
            original_name=name,
            stored_name=stored_name,
            size=upload.size or 0,
            sha256=sha256,
            uploaded_by=by,
        )
        model_validate(attachment)
        attachment.save()
    audit_record(
        actor=by,
        action="disclosure.attachment.add",
        obj=attachment,
        before={},
        role=Role.RESEARCHER,
    )
    return attachment


@transaction.atomic
def attachment_remove(*, by: User, attachment: Attachment, reason: str = "") -> None:
    """The requester removes a file from their draft (the stored file goes with it)."""
    request = attachment.request
    _require_requester(by, request)
    _require_draft(request)
    audit_record(
        actor=by,
        action="disclosure.attachment.remove",
        obj=attachment,
        before=snapshot(attachment),
        after={},
        role=Role.RESEARCHER,
        reason=reason,
    )
    files.stored_discard(attachment.stored_name)
    attachment.delete()


@transaction.atomic
def ethics_approval_add(
    *,
    by: User,
    request: DisclosureRequest,
    case_number: str,
    decided_on: date,
    decision_pdf: File,
    kind: str = ApprovalKind.APPROVAL,
) -> EthicsApproval:
    """Add an ethics approval or amendment with its decision as PDF; allowed after submission
    too (an amendment approved later), when every region's officers see it."""
    _require_requester(by, request)
    if decided_on > timezone.localdate():
        raise ValidationFailed(
            code="decision_in_future",
            field="decided_on",
            message=_("The decision date lies in the future."),
        )
    number = ethics.case_number_clean(case_number, decided_on=decided_on)
    if request.ethics_approvals.filter(case_number=number).exists():
        raise ValidationFailed(
            code="ethics_twice",
            field="case_number",
            message=_("The case %(value)s is already in the request.") % {"value": number},
        )
    approval = EthicsApproval(request=request, kind=kind, case_number=number, decided_on=decided_on)
    model_validate(approval, exclude=["request"])
    approval.save()
    audit_record(
        actor=by,
        action="disclosure.ethics.add",
        obj=approval,
        before={},
        role=Role.RESEARCHER,
    )
    attachment_add(
        by=by,
        request=request,
        kind=AttachmentKind.ETHICS_DECISION,
        upload=decision_pdf,
        ethics_approval=approval,
    )
    return approval


@transaction.atomic
def ethics_approval_remove(*, by: User, approval: EthicsApproval, reason: str = "") -> None:
    """The requester removes an approval (and its PDF) from their draft."""
    request = approval.request
    _require_requester(by, request)
    _require_draft(request)
    for attachment in approval.attachments.all():
        attachment_remove(by=by, attachment=attachment, reason=reason)
    audit_record(
        actor=by,
        action="disclosure.ethics.remove",
        obj=approval,
        before=snapshot(approval),
        after={},
        role=Role.RESEARCHER,
        reason=reason,
    )
    approval.delete()


@transaction.atomic
def data_wanted_set(
    *,
    by: User,
    request: DisclosureRequest,
    regions: Sequence[Region],
    data: dict[str, Any],
) -> list[DataWanted]:
    """Say what is wanted from each of the regions (the same for all of them, or one at a
    time): the regions are the ones the request goes to."""
    _require_requester(by, request)
    _require_draft(request)
    if not regions:
        raise ValidationFailed(
            code="no_regions", field="regions", message=_("Choose at least one region.")
        )
    allowed = set(node_regions().values_list("pk", flat=True))
    for region in regions:
        if region.pk not in allowed:
            raise ValidationFailed(
                code="region_outside_node",
                field="regions",
                message=_("%(region)s is not one of the node's regions.") % {"region": region},
            )
    unknown = set(data) - set(DATA_WANTED_FIELDS)
    if unknown:
        raise ValidationFailed(
            code="unknown_field",
            field=sorted(unknown)[0],
            message=_("This field is not part of the data wanted."),
        )
    saved = []
    for region in regions:
        item = DataWanted.objects.filter(request=request, region=region).first()
        before = snapshot(item) if item else {}
        item = item or DataWanted(request=request, region=region)
        for name, value in data.items():
            setattr(item, name, value)
        model_validate(item, exclude=["request"])
        item.save()
        audit_record(
            actor=by,
            action="disclosure.data_wanted.set",
            obj=item,
            before=before,
            role=Role.RESEARCHER,
            label=f"{request} · {region.short_name}",
        )
        saved.append(item)
    return saved


@transaction.atomic
def data_wanted_remove(*, by: User, item: DataWanted, reason: str = "") -> None:
    """The request no longer goes to this region."""
    _require_requester(by, item.request)
    _require_draft(item.request)
    audit_record(
        actor=by,
        action="disclosure.data_wanted.remove",
        obj=item,
        before=snapshot(item),
        after={},
        role=Role.RESEARCHER,
        reason=reason,
    )
    item.delete()


@dataclass(frozen=True)
class Missing:
    """Something the request lacks before it can be submitted, with the form field it is in."""

    field: str
    message: str | Promise


def request_missing(request: DisclosureRequest) -> list[Missing]:
    """What the request still lacks, in the order of the form; empty when it is complete."""
    missing: list[Missing] = []

    def need(field: str, present: object, message: str | Promise) -> None:
        if not present:
            missing.append(Missing(field, message))

    need("organisation", request.organisation_id, gettext_lazy("Your organisation"))
    need("purpose", request.purpose.strip(), gettext_lazy("The purpose of the project"))
    need("legal_basis", request.legal_basis, gettext_lazy("The legal basis"))
    if request.legal_basis == LegalBasis.OTHER:
        need(
            "legal_basis_details",
            request.legal_basis_details.strip(),
            gettext_lazy("A description of the other legal basis"),
        )
    need(
        "ethics",
        request.ethics_approvals.exists(),
        gettext_lazy("An ethics approval with its case number and decision (PDF)"),
    )
    need(
        "is_pseudonymised",
        request.is_pseudonymised is not None,
        gettext_lazy("Whether the data is to be pseudonymised"),
    )
    if request.is_pseudonymised:
        need("key_holder", request.key_holder.strip(), gettext_lazy("Who holds the code key"))
    need("delivery_format", request.delivery_format, gettext_lazy("The delivery format"))
    need("secure_channel", request.secure_channel, gettext_lazy("The secure channel"))
    need("retain_until", request.retain_until, gettext_lazy("Until when the data is kept"))
    need(
        "deletion_plan",
        request.deletion_plan.strip(),
        gettext_lazy("The retention and deletion plan"),
    )
    need(
        "accepted_conditions",
        set(Condition.values) <= set(request.accepted_conditions),
        gettext_lazy("Acceptance of every confidentiality condition"),
    )
    need(
        "data_wanted",
        request.data_wanted.exists(),
        gettext_lazy("At least one region, with the data wanted from it"),
    )
    return missing


def _reference_next(region: Region, when: datetime) -> str:
    """`DU-<region code>-<year>-<sequence>`: each region numbers its own cases per year."""
    year = timezone.localtime(when).year
    prefix = f"DU-{region.code}-{year}-"
    taken = RegionCase.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    numbers = [int(r.removeprefix(prefix)) for r in taken if r.removeprefix(prefix).isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


@transaction.atomic
def request_submit(*, by: User, request: DisclosureRequest) -> list[RegionCase]:
    """Submit a complete request to every region it names at once: each region opens its own
    case with its own reference number, and its disclosure officers are told."""
    _require_requester(by, request)
    request = DisclosureRequest.objects.select_for_update().get(pk=request.pk)
    _require_draft(request)
    missing = request_missing(request)
    if missing:
        raise ValidationFailed(
            code="request_incomplete",
            field=missing[0].field,
            message=_("The request is not complete: %(missing)s.")
            % {"missing": "; ".join(str(m.message) for m in missing)},
        )
    now = timezone.now()
    before = snapshot(request)
    request.state = RequestState.SUBMITTED
    request.submitted_at = now
    request.save(update_fields=["state", "submitted_at"])
    audit_record(
        actor=by,
        action="disclosure.request.submit",
        obj=request,
        before=before,
        role=Role.RESEARCHER,
        reason=_("Submitted to %(n)s regions") % {"n": request.data_wanted.count()},
    )
    cases = []
    for wanted in request.data_wanted.select_related("region"):
        case = RegionCase(
            request=request,
            region=wanted.region,
            reference=_reference_next(wanted.region, now),
            received_at=now,
        )
        model_validate(case, exclude=["request"])
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError as error:
            raise InvalidTransition(
                code="reference_taken",
                field="state",
                message=_("Another request took the same reference; submit again."),
            ) from error
        audit_record(
            actor=by,
            action="disclosure.case.receive",
            obj=case,
            before={},
            role=Role.RESEARCHER,
            label=f"{case.reference} {request}",
        )
        for officer in officers_of(wanted.region):
            mail_person(officer, "disclosure/email/received", {"target": case, "case": case})
        cases.append(case)
    return cases


def _require_office(by: User) -> None:
    if not can_keep_common_notes(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office writes common notes.")
        )


def _require_submitted(request: DisclosureRequest) -> None:
    if request.is_draft:
        raise InvalidTransition(
            code="not_submitted", field="text", message=_("The request is not submitted yet.")
        )


def _note_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed(code="text_empty", field="text", message=_("Write the text."))
    return text


@transaction.atomic
def common_note_add(*, by: User, request: DisclosureRequest, text: str) -> CommonNote:
    """Node office keeps a note on the request, read by node office and the regions' officers."""
    _require_office(by)
    _require_submitted(request)
    note = CommonNote(request=request, kind=NoteKind.NOTE, author=by, text=_note_text(text))
    model_validate(note, exclude=["request"])
    note.save()
    audit_record(actor=by, action="disclosure.note.add", obj=note, before={}, role=Role.NODE_OFFICE)
    return note


@transaction.atomic
def node_question_send(*, by: User, request: DisclosureRequest, text: str) -> CommonNote:
    """Node office asks every region of the request the same question at once."""
    _require_office(by)
    _require_submitted(request)
    question = CommonNote(request=request, kind=NoteKind.QUESTION, author=by, text=_note_text(text))
    model_validate(question, exclude=["request"])
    question.save()
    audit_record(
        actor=by,
        action="disclosure.question.send",
        obj=question,
        before={},
        role=Role.NODE_OFFICE,
        reason=question.text,
    )
    for case in request.cases.select_related("region"):
        for officer in officers_of(case.region):
            mail_person(officer, "disclosure/email/question", {"target": case, "case": case})
    return question


@transaction.atomic
def node_question_answer(
    *, by: User, question: CommonNote, region: Region, text: str
) -> CommonNote:
    """A region's officer answers node office's question for their region."""
    if question.kind != NoteKind.QUESTION:
        raise ValidationFailed(
            code="not_a_question", field="text", message=_("This note is not a question.")
        )
    if not officer_regions(by).filter(pk=region.pk).exists() or not (
        question.request.cases.filter(region=region).exists()
    ):
        raise PermissionDenied(
            code="not_officer_of_region",
            message=_("Only the region's disclosure officers answer for it."),
        )
    answer = CommonNote(
        request=question.request,
        kind=NoteKind.ANSWER,
        question=question,
        region=region,
        author=by,
        text=_note_text(text),
    )
    model_validate(answer, exclude=["request", "question"])
    answer.save()
    audit_record(
        actor=by,
        action="disclosure.question.answer",
        obj=answer,
        before={},
        role=Role.DISCLOSURE_OFFICER,
    )
    return answer
