"""Every step of a study request, each atomic, permission-checked and audited."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
    model_validate,
)
from studienav.core.files import pdf_upload_check, private_stored
from studienav.core.models import Organisation, Region, Role, User
from studienav.core.selectors import node_regions, organisations_where
from studienav.core.services import send_templated_mail
from studienav.feasibility import exchange
from studienav.feasibility.exchange import AnswerRecord, RegionAnswerRecord, RequestRecord
from studienav.feasibility.models import (
    Answer,
    AnswerChannel,
    Attachment,
    ClarificationPause,
    DeclineReason,
    Outcome,
    Recipient,
    RegionPart,
    Reminder,
    RequestChannel,
    RequestState,
    StudyRequest,
)
from studienav.feasibility.selectors import can_coordinate, can_manage_requests, is_sponsor_of
from studienav.registry.models import Study

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
LINK_SALT = "studienav.feasibility.answer-link"
LINK_MAX_AGE = timedelta(days=60)
REMINDER_DAYS = (7, 2)  # reminders this many days before the answer deadline

# The fields a sponsor or the node office fills in; everything else the workflow sets.
REQUEST_FIELDS = (
    "kind",
    "contact_name",
    "contact_email",
    "title",
    "therapeutic_area",
    "indication",
    "study_type",
    "phase",
    "intervention",
    "ce_marked",
    "inclusion_criteria",
    "exclusion_criteria",
    "sites_wanted",
    "patients_wanted",
    "planned_start",
    "recruitment_months",
    "suggested_sites",
    "answer_deadline",
    "confidentiality",
)


def attachment_dir() -> Path:
    """Outside the web root: files are served only through the checking view."""
    return Path(settings.MEDIA_ROOT) / "feasibility"


def _reference_next(received: datetime) -> str:
    year = timezone.localtime(received).year
    taken = StudyRequest.objects.filter(reference__startswith=f"{year}-").values_list(
        "reference", flat=True
    )
    numbers = [int(r.split("-")[1]) for r in taken if r.split("-")[1].isdigit()]
    return f"{year}-{max(numbers, default=0) + 1:03d}"


def _mail_sponsor(request: StudyRequest, template: str) -> None:
    """Tell the sponsor's contact that something waits behind sign-in; never the content."""
    language = request.submitted_by.language if request.submitted_by else "sv"
    with translation.override(language):
        link = settings.SITE_URL + request.get_absolute_url()
    send_templated_mail(
        to=request.contact_email,
        language=language,
        template=template,
        context={"request": request, "link": link},
    )


def _require_state(request: StudyRequest, *states: str) -> None:
    if request.state not in states:
        raise InvalidTransition(
            code="wrong_state",
            field="state",
            message=_("This step is not possible while the request is “%(state)s”.")
            % {"state": request.get_state_display()},
        )


def _require_part_open(part: RegionPart) -> None:
    if not part.is_open:
        _require_state(part.request, RequestState.FORWARDED)


def _request_create(
    *,
    by: User,
    organisation: Organisation,
    channel: str,
    data: dict[str, Any],
    received_at: datetime | None,
    reference: str,
    role: str,
    attachments: Sequence[File] = (),
) -> StudyRequest:
    unknown = set(data) - set(REQUEST_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed(
            code="unknown_field", field=name, message=_("This field is not part of a request.")
        )
    request = StudyRequest(
        sponsor_organisation=organisation,
        channel=channel,
        submitted_by=by if channel == RequestChannel.SITE else None,
        received_at=received_at or timezone.now(),
        **data,
    )
    request.reference = reference or _reference_next(request.received_at)
    model_validate(request)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as error:
        raise ValidationFailed(
            code="reference_taken",
            field="reference",
            message=_("A request with this reference exists already."),
        ) from error
    audit_record(actor=by, action="feasibility.request.receive", obj=request, before={}, role=role)
    for upload in attachments:
        attachment_add(by=by, request=request, upload=upload)
    return request


@transaction.atomic
def request_submit(
    *,
    by: User,
    organisation: Organisation,
    data: dict[str, Any],
    attachments: Sequence[File] = (),
) -> StudyRequest:
    """A sponsor submits a request for their own organisation through the site."""
    if not organisations_where(by, Role.SPONSOR).filter(pk=organisation.pk).exists():
        raise PermissionDenied(
            code="not_sponsor_of_organisation",
            field="organisation",
            message=_("You submit requests only for an organisation you are sponsor for."),
        )
    deadline = data.get("answer_deadline")
    if isinstance(deadline, date) and deadline <= timezone.localdate():
        raise ValidationFailed(
            code="deadline_past",
            field="answer_deadline",
            message=_("The answer deadline must be a date after today."),
        )
    return _request_create(
        by=by,
        organisation=organisation,
        channel=RequestChannel.SITE,
        data=data,
        received_at=None,
        reference="",
        role=Role.SPONSOR,
        attachments=attachments,
    )


@transaction.atomic
def request_register(
    *,
    by: User,
    organisation: Organisation,
    channel: str,
    data: dict[str, Any],
    received_at: datetime | None = None,
    reference: str = "",
    attachments: Sequence[File] = (),
) -> StudyRequest:
    """Node office registers a request that came by e-mail or from the national portal."""
    if not can_manage_requests(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office registers requests.")
        )
    if channel not in (RequestChannel.EMAIL, RequestChannel.NATIONAL):
        raise ValidationFailed(
            code="invalid_channel",
            field="channel",
            message=_("Registered requests came by e-mail or from the national portal."),
        )
    return _request_create(
        by=by,
        organisation=organisation,
        channel=channel,
        data=data,
        received_at=received_at,
        reference=reference,
        role=Role.NODE_OFFICE,
        attachments=attachments,
    )


@transaction.atomic
def request_import(*, by: User, record: RequestRecord) -> StudyRequest:
    """Node office registers a request from an exchange document (the national portal)."""
    if not can_manage_requests(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office registers requests.")
        )
    organisation = Organisation.objects.filter(
        name__iexact=record.sponsor.name, country=record.sponsor.country
    ).first()
    if organisation is None:
        raise ValidationFailed(
            code="unknown_sponsor",
            field="request.sponsor.name",
            message=_(
                "No organisation is named %(name)s; add it in the people and organisations "
                "pages first."
            )
            % {"name": record.sponsor.name},
        )
    return request_register(
        by=by,
        organisation=organisation,
        channel=RequestChannel.NATIONAL,
        data=exchange.request_data_from_record(record),
        received_at=record.received_at,
        reference=record.reference,
    )


@transaction.atomic
def attachment_add(*, by: User, request: StudyRequest, upload: File) -> Attachment:
    """Store a protocol synopsis: a PDF of at most 20 MB, under a random name."""
    if not (can_manage_requests(by) or is_sponsor_of(by, request)):
        raise PermissionDenied(code="not_allowed", message=_("You cannot add files here."))
    name = pdf_upload_check(upload, limit=ATTACHMENT_MAX_BYTES, field="attachments")
    with private_stored(upload, folder=attachment_dir()) as (stored_name, _digest):
        attachment = Attachment(
            request=request,
            original_name=name,
            stored_name=stored_name,
            size=upload.size,
            uploaded_by=by,
        )
        model_validate(attachment)
        attachment.save()
    audit_record(actor=by, action="feasibility.attachment.add", obj=attachment, before={})
    return attachment


@transaction.atomic
def request_ask_clarification(
    *, by: User, request: StudyRequest, question: str
) -> ClarificationPause:
    """Node office asks the sponsor to clarify; the clock stops until they answer."""
    if not can_manage_requests(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office asks."))
    _require_state(request, RequestState.RECEIVED)
    pause = ClarificationPause(request=request, question=question.strip(), asked_by=by)
    model_validate(pause, exclude=["request"])
    pause.save()
    before = snapshot(request)
    request.state = RequestState.CLARIFICATION
    request.save(update_fields=["state"])
    audit_record(
        actor=by,
        action="feasibility.request.ask_clarification",
        obj=request,
        before=before,
        reason=pause.question,
        role=Role.NODE_OFFICE,
    )
    _mail_sponsor(request, "feasibility/email/clarification")
    return pause


@transaction.atomic
def request_clarified(*, by: User, request: StudyRequest, clarification: str) -> StudyRequest:
    """The sponsor (or node office on their behalf) answers; the clock runs again."""
    if not (can_manage_requests(by) or is_sponsor_of(by, request)):
        raise PermissionDenied(code="not_sponsor", message=_("Only the sponsor clarifies."))
    _require_state(request, RequestState.CLARIFICATION)
    pause = request.pauses.select_for_update().get(resumed_at__isnull=True)
    if not clarification.strip():
        raise ValidationFailed(
            code="clarification_empty",
            field="clarification",
            message=_("Write the clarification."),
        )
    pause.clarification = clarification.strip()
    pause.resumed_at = timezone.now()
    pause.save(update_fields=["clarification", "resumed_at"])
    before = snapshot(request)
    request.state = RequestState.RECEIVED
    request.save(update_fields=["state"])
    audit_record(
        actor=by,
        action="feasibility.request.clarified",
        obj=request,
        before=before,
        reason=pause.clarification,
    )
    return request


@transaction.atomic
def request_forward(
    *, by: User, request: StudyRequest, regions: Sequence[Region], note: str = ""
) -> list[RegionPart]:
    """Node office forwards the request to the chosen regions of the node."""
    if not can_manage_requests(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office forwards."))
    _require_state(request, RequestState.RECEIVED, RequestState.FORWARDED)
    if not regions:
        raise ValidationFailed(
            code="no_regions", field="regions", message=_("Choose at least one region.")
        )
    allowed = set(node_regions().values_list("pk", flat=True))
    outside = [r for r in regions if r.pk not in allowed]
    if outside:
        raise ValidationFailed(
            code="region_outside_node",
            field="regions",
            message=_("%(region)s is not one of the node's regions.") % {"region": outside[0]},
        )
    now = timezone.now()
    parts = []
    for region in regions:
        part, created = RegionPart.objects.get_or_create(
            request=request, region=region, defaults={"forwarded_by": by, "forwarded_at": now}
        )
        if created:
            audit_record(actor=by, action="feasibility.part.forward", obj=part, before={})
        parts.append(part)
    before = snapshot(request)
    request.state = RequestState.FORWARDED
    request.forwarded_at = request.forwarded_at or now
    request.save(update_fields=["state", "forwarded_at"])
    audit_record(
        actor=by,
        action="feasibility.request.forward",
        obj=request,
        before=before,
        reason=note,
        changes={"regions": [r.code for r in regions]},
        role=Role.NODE_OFFICE,
    )
    return parts


@transaction.atomic
def request_not_forward(*, by: User, request: StudyRequest, reason: str) -> StudyRequest:
    """Node office closes a request it cannot forward (out of scope, withdrawn by sponsor)."""
    if not can_manage_requests(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office decides."))
    _require_state(request, RequestState.RECEIVED, RequestState.CLARIFICATION)
    if not reason.strip():
        raise ValidationFailed(
            code="reason_required", field="reason", message=_("Say why it is not forwarded.")
        )
    before = snapshot(request)
    request.state = RequestState.NOT_FORWARDED
    request.not_forwarded_reason = reason.strip()
    request.save(update_fields=["state", "not_forwarded_reason"])
    request.pauses.filter(resumed_at__isnull=True).update(resumed_at=timezone.now())
    audit_record(
        actor=by,
        action="feasibility.request.not_forward",
        obj=request,
        before=before,
        reason=reason,
    )
    return request


@dataclass(frozen=True)
class RecipientChoice:
    """Who a coordinator asks: a clinic and/or a person with an e-mail address."""

    name: str
    email: str
    organisation: Organisation | None = None
    language: str = ""


def recipient_link(recipient: Recipient) -> str:
    """The personal, signed answer link; it names this recipient only and expires."""
    value = f"{recipient.pk}:{recipient.link_nonce}"
    token = signing.TimestampSigner(salt=LINK_SALT).sign(value)
    with translation.override(recipient.language):
        return settings.SITE_URL + reverse("feasibility:answer_link", args=[token])


def recipient_by_link(token: str) -> Recipient | None:
    """The recipient a link was made for, or None when forged, expired or revoked."""
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    pk, _sep, nonce = value.partition(":")
    if not pk.isdigit():
        return None
    recipient = (
        Recipient.objects.select_related(
            "part__request", "part__region", "organisation", "selected_by"
        )
        .filter(pk=pk)
        .first()
    )
    if recipient is None or not secrets.compare_digest(recipient.link_nonce, nonce):
        return None
    return recipient


def _link_used_by(recipient: Recipient, by: User | None) -> dict[str, Any] | None:
    """What the audit event of a link's use records of whom the link was sent to, when the
    person using it is signed in (a link works for whoever holds it: it may be forwarded)."""
    if by is None:
        return None
    return {
        "link_recipient": {"id": recipient.pk, "name": recipient.name, "email": recipient.email}
    }


@transaction.atomic
def recipient_link_open(*, recipient: Recipient, by: User | None = None) -> Recipient:
    """Log that a personal link was opened (who received it, when); `by`: the person signed
    in who opened it, recorded as the actor (else the recipient's account, if any)."""
    recipient.link_opened_at = timezone.now()
    recipient.save(update_fields=["link_opened_at"])
    audit_record(
        actor=by or recipient.user,
        action="feasibility.recipient.link_open",
        obj=recipient,
        role="recipient",
        changes=_link_used_by(recipient, by),
    )
    return recipient


def _send_answer_link(recipient: Recipient, template: str) -> None:
    send_templated_mail(
        to=recipient.email,
        language=recipient.language,
        template=template,
        context={
            "recipient": recipient,
            "reference": recipient.part.request.reference,
            "deadline": recipient.part.request.answer_deadline,
            "link": recipient_link(recipient),
        },
    )


@transaction.atomic
def recipients_select(
    *, by: User, part: RegionPart, choices: Sequence[RecipientChoice]
) -> list[Recipient]:
    """A coordinator asks clinics and investigators in their region; each gets a link."""
    if not can_coordinate(by, part):
        raise PermissionDenied(
            code="not_coordinator_of_region",
            message=_("Only the region's coordinators choose who is asked."),
        )
    _require_part_open(part)
    if part.is_compiled:
        raise InvalidTransition(
            code="part_compiled", message=_("The region's answer is already compiled.")
        )
    if not choices:
        raise ValidationFailed(
            code="no_recipients", field="recipients", message=_("Choose at least one recipient.")
        )
    created = []
    for choice in choices:
        email = choice.email.strip().lower()
        if part.recipients.filter(email=email).exists():
            continue
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        recipient = Recipient(
            part=part,
            organisation=choice.organisation,
            user=user,
            name=choice.name.strip() or email,
            email=email,
            language=choice.language or (user.language if user else "sv"),
            selected_by=by,
            link_nonce=secrets.token_hex(16),
        )
        model_validate(recipient)
        recipient.save()
        audit_record(
            actor=by,
            action="feasibility.recipient.select",
            obj=recipient,
            before={},
            role=Role.NODE_COORDINATOR,
        )
        _send_answer_link(recipient, "feasibility/email/asked")
        created.append(recipient)
    return created


@transaction.atomic
def answer_submit(
    *,
    recipient: Recipient,
    by: User | None,
    channel: str,
    is_interested: bool,
    eligible_patients_per_year: int | None = None,
    capacity: str = "",
    competing_studies: str = "",
    decline_reason: str = "",
    comment: str = "",
) -> Answer:
    """A recipient answers, through their personal link or signed in. Through the link `by`
    is whoever is signed in (None: nobody), recorded as who answered, with the recipient the
    link was sent to: a forwarded link shows in the audit trail."""
    if channel == AnswerChannel.ACCOUNT and (by is None or recipient.user_id != by.pk):
        raise PermissionDenied(code="not_recipient", message=_("This request was not sent to you."))
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if Answer.objects.filter(recipient=recipient).exists():
        raise InvalidTransition(
            code="already_answered", message=_("This request has already been answered.")
        )
    if recipient.part.is_compiled or not recipient.part.is_open:
        raise InvalidTransition(
            code="answers_closed", message=_("Answers to this request are closed.")
        )
    if not is_interested and not decline_reason:
        raise ValidationFailed(
            code="decline_reason_required",
            field="decline_reason",
            message=_("Choose the main reason for declining."),
        )
    if decline_reason == DeclineReason.OTHER and not comment.strip():
        raise ValidationFailed(
            code="comment_required",
            field="comment",
            message=_("Describe the reason in the comment."),
        )
    answer = Answer(
        recipient=recipient,
        is_interested=is_interested,
        eligible_patients_per_year=eligible_patients_per_year,
        capacity=capacity.strip(),
        competing_studies=competing_studies.strip(),
        decline_reason="" if is_interested else decline_reason,
        comment=comment.strip(),
        channel=channel,
        answered_by=by,
    )
    model_validate(answer)
    answer.save()
    audit_record(
        actor=by,
        action="feasibility.answer.submit",
        obj=answer,
        before={},
        role="recipient",
        changes=_link_used_by(recipient, by) if channel == AnswerChannel.LINK else None,
    )
    return answer


@transaction.atomic
def region_compile(*, by: User, part: RegionPart, summary: str) -> RegionPart:
    """The coordinator compiles the region's answers into a summary for the node office."""
    if not can_coordinate(by, part):
        raise PermissionDenied(
            code="not_coordinator_of_region", message=_("Only the region's coordinators compile.")
        )
    _require_part_open(part)
    if not summary.strip():
        raise ValidationFailed(
            code="summary_required", field="summary", message=_("Write the region's summary.")
        )
    before = snapshot(part)
    part.summary = summary.strip()
    part.compiled_at = timezone.now()
    part.compiled_by = by
    part.save(update_fields=["summary", "compiled_at", "compiled_by"])
    audit_record(
        actor=by,
        action="feasibility.part.compile",
        obj=part,
        before=before,
        role=Role.NODE_COORDINATOR,
    )
    return part


@transaction.atomic
def answer_send(
    *, by: User, request: StudyRequest, answer: str, late_reason: str = ""
) -> StudyRequest:
    """Node office sends the compiled answer to the sponsor; regions that have not compiled
    are marked "no answer by the deadline", which needs a reason."""
    if not can_manage_requests(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office sends."))
    # Locked and read again, so two people sending at once send once.
    StudyRequest.objects.select_for_update().filter(pk=request.pk).first()
    request.refresh_from_db()
    _require_state(request, RequestState.FORWARDED)
    parts = list(request.parts.select_related("region"))
    waiting = [p.region.short_name for p in parts if not p.is_compiled]
    if waiting and not late_reason.strip():
        raise InvalidTransition(
            code="regions_not_compiled",
            field="late_reason",
            message=_(
                "Waiting for these regions to compile: %(regions)s. To send without them, "
                "say why; they are marked as no answer by the deadline."
            )
            % {"regions": ", ".join(waiting)},
        )
    if not answer.strip():
        raise ValidationFailed(
            code="answer_required", field="answer", message=_("Write the answer to the sponsor.")
        )
    now = timezone.now()
    before = snapshot(request)
    request.compiled_answer = answer.strip()
    request.answer_sent_at = now
    request.late_reason = late_reason.strip() if waiting else ""
    request.state = RequestState.ANSWERED
    request.save(update_fields=["compiled_answer", "answer_sent_at", "late_reason", "state"])
    RegionPart.objects.filter(request=request, compiled_at__isnull=False).update(sent_at=now)
    audit_record(
        actor=by,
        action="feasibility.request.answer_send",
        obj=request,
        before=before,
        changes={"late_regions": [p.region.code for p in parts if not p.is_compiled]},
        reason=request.late_reason,
        role=Role.NODE_OFFICE,
    )
    _mail_sponsor(request, "feasibility/email/answered")
    return request


@transaction.atomic
def answer_supplement_send(*, by: User, part: RegionPart, text: str) -> RegionPart:
    """Node office sends a late region's compiled answer to the sponsor as a supplement."""
    if not can_manage_requests(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office sends."))
    RegionPart.objects.select_for_update().filter(pk=part.pk).first()
    part.refresh_from_db()
    request = StudyRequest.objects.get(pk=part.request_id)
    _require_state(request, RequestState.ANSWERED)
    if part.sent_at is not None:
        raise InvalidTransition(
            code="part_sent", message=_("This region's answer has already been sent.")
        )
    if not part.is_compiled:
        raise InvalidTransition(
            code="part_not_compiled",
            field="text",
            message=_("The region has not compiled its answer yet."),
        )
    if not text.strip():
        raise ValidationFailed(
            code="supplement_required",
            field="text",
            message=_("Write the supplement to the sponsor."),
        )
    before = snapshot(part)
    part.supplement = text.strip()
    part.sent_at = timezone.now()
    part.save(update_fields=["supplement", "sent_at"])
    audit_record(
        actor=by,
        action="feasibility.part.supplement_send",
        obj=part,
        before=before,
        role=Role.NODE_OFFICE,
    )
    _mail_sponsor(request, "feasibility/email/answered")
    return part


@dataclass(frozen=True)
class AnswerImport:
    """What importing a compiled answer did: the request, and what changed (empty: nothing)."""

    request: StudyRequest
    changed: list[str]


def _utc(moment: datetime | None) -> datetime | None:
    """In UTC as the database gives it back, so that a second import compares equal."""
    return moment.astimezone(UTC) if moment is not None else None


def _part_from_record(
    part: RegionPart, region: RegionAnswerRecord, path: str, now: datetime
) -> None:
    """Set the part's fields from the document, refusing what would rewrite the past."""
    label = part.region.short_name
    if part.is_compiled and region.compiled_at is None:
        raise ValidationFailed(
            code="part_compiled_here",
            field=f"{path}.compiled_at",
            message=_("%(region)s has compiled here; the document says it has not.")
            % {"region": label},
        )
    if part.sent_at is not None and (
        (region.summary, region.compiled_at, region.sent_at, region.supplement)
        != (part.summary, part.compiled_at, part.sent_at, part.supplement)
    ):
        raise ValidationFailed(
            code="part_sent_here",
            field=path,
            message=_(
                "The answer of %(region)s reached the sponsor on %(date)s; a document cannot "
                "change it."
            )
            % {"region": label, "date": timezone.localtime(part.sent_at).date()},
        )
    for moment, name in ((region.compiled_at, "compiled_at"), (region.sent_at, "sent_at")):
        if moment is not None and moment > now:
            raise ValidationFailed(
                code="in_the_future",
                field=f"{path}.{name}",
                message=_("This time lies in the future."),
            )
    here = exchange.clinic_answers_here(part)
    elsewhere = list(region.answers)
    for answer in here:
        if answer in elsewhere:
            elsewhere.remove(answer)
    asked_here = len(part.recipients.all())
    if region.asked - asked_here < len(elsewhere):
        raise ValidationFailed(
            code="asked_too_few",
            field=f"{path}.asked",
            message=_(
                "%(region)s: %(asked)s asked is fewer than the answers, with %(here)s asked here."
            )
            % {"region": label, "asked": region.asked, "here": asked_here},
        )
    compiled_at, sent_at = _utc(region.compiled_at), _utc(region.sent_at)
    if compiled_at != part.compiled_at:
        part.compiled_by = None
    part.summary = region.summary
    part.compiled_at = compiled_at
    part.sent_at = sent_at
    part.supplement = region.supplement
    part.asked_elsewhere = region.asked - asked_here
    part.answers_elsewhere = [a.model_dump() for a in elsewhere]


@transaction.atomic
def answer_import(*, by: User, record: AnswerRecord) -> AnswerImport:
    """Record a compiled answer from another node or the national portal for a request known
    here: the regions' compiled answers and, when the document says it was sent, the answer
    to the sponsor. All or nothing; importing the same document again changes nothing."""
    if not can_manage_requests(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office imports answers.")
        )
    exchange.answer_record_check(record)
    request = StudyRequest.objects.select_for_update().filter(reference=record.reference).first()
    if request is None:
        raise ValidationFailed(
            code="unknown_request",
            field="answer.reference",
            message=_("No study request has the reference %(reference)s.")
            % {"reference": record.reference},
        )
    if request.state not in (RequestState.FORWARDED, RequestState.ANSWERED):
        raise InvalidTransition(
            code="wrong_state",
            field="answer.reference",
            message=_("This step is not possible while the request is “%(state)s”.")
            % {"state": request.get_state_display()},
        )
    now = timezone.now()
    if record.sent_at is not None and record.sent_at > now:
        raise ValidationFailed(
            code="in_the_future", field="answer.sent_at", message=_("This time lies in the future.")
        )
    if request.answer_sent_at is not None and (
        (record.sent_at, record.text, record.late_reason)
        != (request.answer_sent_at, request.compiled_answer, request.late_reason)
    ):
        raise ValidationFailed(
            code="answer_sent_here",
            field="answer.sent_at",
            message=_(
                "The answer to the sponsor was sent on %(date)s; a document cannot change it."
            )
            % {"date": timezone.localtime(request.answer_sent_at).date()},
        )
    parts = {
        p.region.code: p
        for p in request.parts.select_related("region").prefetch_related(
            "recipients__answer", "recipients__organisation"
        )
    }
    listed: set[str] = set()
    for index, region in enumerate(record.regions):
        if region.region_code not in parts or region.region_code in listed:
            raise ValidationFailed(
                code="region_twice" if region.region_code in listed else "region_not_forwarded",
                field=f"answer.regions.{index}.region_code",
                message=(
                    _("Region %(code)s appears twice.")
                    if region.region_code in listed
                    else _("The request was not forwarded to region %(code)s.")
                )
                % {"code": region.region_code},
            )
        listed.add(region.region_code)
    missing = sorted(set(parts) - listed)
    if missing:
        raise ValidationFailed(
            code="region_missing",
            field="answer.regions",
            message=_("The request was forwarded to region %(code)s, which the document lacks.")
            % {"code": missing[0]},
        )
    changed: list[str] = []
    for index, region in enumerate(record.regions):
        path = f"answer.regions.{index}"
        part = parts[region.region_code]
        before = snapshot(part)
        _part_from_record(part, region, path, now)
        if snapshot(part) != before:
            model_validate(part)
            part.save()
            audit_record(
                actor=by,
                action="feasibility.part.import",
                obj=part,
                before=before,
                role=Role.NODE_OFFICE,
            )
            changed.append(part.region.short_name)
    if record.sent_at is not None and request.answer_sent_at is None:
        before = snapshot(request)
        request.compiled_answer = record.text
        request.answer_sent_at = _utc(record.sent_at)
        request.late_reason = record.late_reason
        request.state = RequestState.ANSWERED
        model_validate(request)
        request.save(update_fields=["compiled_answer", "answer_sent_at", "late_reason", "state"])
        audit_record(
            actor=by,
            action="feasibility.request.answer_import",
            obj=request,
            before=before,
            role=Role.NODE_OFFICE,
        )
        changed.append(str(_("the answer to the sponsor")))
    return AnswerImport(request=request, changed=changed)


@transaction.atomic
def outcome_record(
    *, by: User, request: StudyRequest, outcome: str, study: Study | None = None
) -> StudyRequest:
    """Node office records what came of the request, linked to the study's registry record."""
    if not can_manage_requests(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office records."))
    _require_state(request, RequestState.ANSWERED)
    if outcome == Outcome.STUDY_STARTED and study is None:
        raise ValidationFailed(
            code="study_required",
            field="study",
            message=_("Link the started study to its record in the registry."),
        )
    before = snapshot(request)
    request.outcome = outcome
    request.outcome_study = study
    request.outcome_recorded_at = timezone.now()
    model_validate(request)
    request.save(update_fields=["outcome", "outcome_study", "outcome_recorded_at"])
    audit_record(
        actor=by,
        action="feasibility.request.outcome",
        obj=request,
        before=before,
        role=Role.NODE_OFFICE,
    )
    return request


@transaction.atomic
def reminders_send(*, today: date | None = None) -> int:
    """Remind recipients who have not answered, once per threshold; returns how many were sent."""
    today = today or timezone.localdate()
    sent = 0
    waiting = Recipient.objects.filter(
        answer__isnull=True,
        part__compiled_at__isnull=True,
        part__request__state=RequestState.FORWARDED,
        part__request__answer_deadline__gte=today,
    ).select_related("part__request")
    for recipient in waiting:
        days_left = (recipient.part.request.answer_deadline - today).days
        due = [d for d in REMINDER_DAYS if days_left <= d]
        if not due:
            continue
        threshold = min(due)
        if recipient.reminders.filter(days_before_deadline__lte=threshold).exists():
            continue
        reminder = Reminder.objects.create(recipient=recipient, days_before_deadline=threshold)
        audit_record(actor=None, action="feasibility.reminder.send", obj=reminder, before={})
        _send_answer_link(recipient, "feasibility/email/reminder")
        sent += 1
    return sent
