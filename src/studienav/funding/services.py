"""Every step of a call and its applications, each atomic, permission-checked and audited."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
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
from studienav.core.files import pdf_upload_check, private_discard, private_stored
from studienav.core.models import Organisation, Region, Role, User
from studienav.core.selectors import node_regions
from studienav.core.services import send_templated_mail
from studienav.funding.eligibility import Problem, eligibility_problems
from studienav.funding.models import (
    FEASIBILITY_MAX,
    FEASIBILITY_MIN,
    SCORE_MAX,
    SCORE_MIN,
    Application,
    ApplicationState,
    Attachment,
    BudgetLine,
    Call,
    CallState,
    CoApplicant,
    ConflictDeclaration,
    Decision,
    DecisionOutcome,
    DiscussionNote,
    FollowUpReport,
    ReportReminder,
    Review,
    ReviewAssignment,
    report_due_on,
)
from studienav.funding.selectors import (
    applications_visible_to,
    can_manage_calls,
    is_chair,
    is_reviewer,
)
from studienav.registry.models import Study

LINK_SALT = "studienav.funding.co-applicant"
REPORT_REMINDER_DAYS = (30, 7)  # reminders this many days before a yearly report is due
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")

CALL_FIELDS = (
    "reference",
    "title_sv",
    "title_en",
    "text_sv",
    "text_en",
    "opens_on",
    "closes_at",
    "decision_on",
    "min_regions",
    "budget_per_year",
    "budget_total",
    "max_years",
    "first_year",
    "sections",
    "criteria",
    "required_documents",
)
APPLICATION_FIELDS = ("title", "description", "plan", "section_texts", "language")


class NotEligible(ValidationFailed):
    """The application breaks the call's rules; `problems` says where, field by field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            code="not_eligible",
            field=problems[0].field,
            message=_("The application does not meet the rules of the call yet."),
        )
        self.problems = problems


def attachment_dir() -> Path:
    """Outside the web root: files are served only through the checking view."""
    return Path(settings.MEDIA_ROOT) / "funding"


# Calls ---------------------------------------------------------------


def _check_call_rules(data: dict[str, Any]) -> None:
    for name in ("criteria", "sections", "required_documents"):
        items = data.get(name)
        if items is None:
            continue
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and str(i.get("key", "")).strip() for i in items
        ):
            raise ValidationFailed(
                code="invalid_" + name, field=name, message=_("Each line needs a key and a title.")
            )
        keys = [str(i["key"]) for i in items]
        if len(set(keys)) != len(keys):
            raise ValidationFailed(
                code="duplicate_key", field=name, message=_("Each key may appear only once.")
            )
    if data.get("criteria") == []:
        raise ValidationFailed(
            code="criteria_missing", field="criteria", message=_("Give at least one criterion.")
        )
    for criterion in data.get("criteria") or []:
        low, high = int(criterion.get("min", SCORE_MIN)), int(criterion.get("max", SCORE_MAX))
        if not SCORE_MIN <= low < high <= SCORE_MAX:
            raise ValidationFailed(
                code="invalid_scale",
                field="criteria",
                message=_("A criterion's scale lies within 1–7."),
            )
    opens, closes = data.get("opens_on"), data.get("closes_at")
    if (
        isinstance(opens, date)
        and isinstance(closes, datetime)
        and (timezone.localdate(closes) <= opens)
    ):
        raise ValidationFailed(
            code="deadline_before_opening",
            field="closes_at",
            message=_("The deadline must come after the call opens."),
        )
    decision = data.get("decision_on")
    if (
        isinstance(decision, date)
        and isinstance(closes, datetime)
        and (decision <= timezone.localdate(closes))
    ):
        raise ValidationFailed(
            code="decision_before_deadline",
            field="decision_on",
            message=_("The decision comes after the deadline."),
        )


@transaction.atomic
def call_create(*, by: User, data: dict[str, Any]) -> Call:
    """Node office drafts a call."""
    if not can_manage_calls(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office creates calls."))
    unknown = set(data) - set(CALL_FIELDS)
    if unknown:
        raise ValidationFailed(
            code="unknown_field",
            field=sorted(unknown)[0],
            message=_("This field is not part of a call."),
        )
    _check_call_rules(data)
    call = Call(created_by=by, **data)
    model_validate(call)
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError as error:
        raise ValidationFailed(
            code="reference_taken",
            field="reference",
            message=_("A call with this reference exists already."),
        ) from error
    audit_record(actor=by, action="funding.call.create", obj=call, before={}, role=Role.NODE_OFFICE)
    return call


@transaction.atomic
def call_update(*, by: User, call: Call, data: dict[str, Any], reason: str = "") -> Call:
    """Node office changes a call; once it has opened, its rules and deadline stay as they are."""
    if not can_manage_calls(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office changes calls."))
    unknown = set(data) - set(CALL_FIELDS)
    if unknown:
        raise ValidationFailed(
            code="unknown_field",
            field=sorted(unknown)[0],
            message=_("This field is not part of a call."),
        )
    if call.state == CallState.PUBLISHED and call.opens_on <= timezone.localdate():
        frozen = set(data) - {"text_sv", "text_en", "title_sv", "title_en", "decision_on"}
        changed = [name for name in sorted(frozen) if getattr(call, name) != data[name]]
        if changed:
            raise InvalidTransition(
                code="call_opened",
                field=changed[0],
                message=_("The call has opened: its rules and deadline can no longer change."),
            )
    before = snapshot(call)
    merged = {name: getattr(call, name) for name in CALL_FIELDS} | data
    _check_call_rules(merged)
    for name, value in data.items():
        setattr(call, name, value)
    model_validate(call, exclude=["reference"])
    call.save()
    audit_record(actor=by, action="funding.call.update", obj=call, before=before, reason=reason)
    return call


@transaction.atomic
def call_publish(*, by: User, call: Call) -> Call:
    """Node office publishes a drafted call: it appears on the public list."""
    if not can_manage_calls(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office publishes."))
    if call.state != CallState.DRAFT:
        raise InvalidTransition(code="not_draft", message=_("The call is already published."))
    if call.closes_at <= timezone.now():
        raise InvalidTransition(
            code="deadline_passed",
            field="closes_at",
            message=_("The deadline has passed: move it before publishing."),
        )
    before = snapshot(call)
    call.state = CallState.PUBLISHED
    call.published_at = timezone.now()
    call.save(update_fields=["state", "published_at"])
    audit_record(actor=by, action="funding.call.publish", obj=call, before=before)
    return call


# Applications ---------------------------------------------------------------


def _require_main_applicant(by: User, application: Application) -> None:
    if application.main_applicant_id != by.pk:
        raise PermissionDenied(
            code="not_main_applicant", message=_("Only the main applicant changes the application.")
        )


def _require_editable(application: Application) -> None:
    """After the deadline, or once submitted, nothing changes."""
    call = Call.objects.get(pk=application.call_id)
    if not call.is_open():
        raise InvalidTransition(
            code="deadline_passed",
            message=_("The call closed on %(deadline)s: the application can no longer change.")
            % {"deadline": timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M")},
        )
    if application.state != ApplicationState.DRAFT:
        raise InvalidTransition(
            code="already_submitted",
            message=_("The application is submitted and can no longer change."),
        )


def _reference_next(call: Call) -> str:
    taken = Application.objects.filter(call=call).values_list("reference", flat=True)
    numbers = [int(r.rsplit("-", 1)[1]) for r in taken if r.rsplit("-", 1)[-1].isdigit()]
    return f"{call.reference}-{max(numbers, default=0) + 1:03d}"


@transaction.atomic
def application_start(
    *, by: User, call: Call, title: str, organisation: Organisation, language: str = ""
) -> Application:
    """A signed-in researcher starts a draft application to an open call."""
    if not call.is_open():
        raise InvalidTransition(
            code="call_not_open", message=_("The call is not open for applications.")
        )
    if organisation.region_id is None or not node_regions().filter(pk=organisation.region_id):
        raise ValidationFailed(
            code="organisation_outside_node",
            field="organisation",
            message=_("Choose an organisation in one of the node's regions."),
        )
    Call.objects.select_for_update().filter(pk=call.pk).first()
    application = Application(
        call=call,
        reference=_reference_next(call),
        main_applicant=by,
        organisation=organisation,
        region_id=organisation.region_id,
        title=title.strip(),
        language=language or by.language,
    )
    model_validate(application)
    application.save()
    audit_record(
        actor=by, action="funding.application.start", obj=application, before={}, role="applicant"
    )
    return application


@transaction.atomic
def application_update(*, by: User, application: Application, data: dict[str, Any]) -> Application:
    """The main applicant changes the texts of a draft while the call is open."""
    _require_main_applicant(by, application)
    _require_editable(application)
    unknown = set(data) - set(APPLICATION_FIELDS)
    if unknown:
        raise ValidationFailed(
            code="unknown_field",
            field=sorted(unknown)[0],
            message=_("This field is not part of an application."),
        )
    before = snapshot(application)
    for name, value in data.items():
        setattr(application, name, value.strip() if isinstance(value, str) else value)
    model_validate(application)
    application.save()
    audit_record(actor=by, action="funding.application.update", obj=application, before=before)
    return application


@dataclass(frozen=True)
class BudgetEntry:
    region: Region
    year: int
    amount: int


@transaction.atomic
def budget_set(
    *, by: User, application: Application, entries: Sequence[BudgetEntry]
) -> list[BudgetLine]:
    """Replace the budget with these lines (one per region and year; zero lines dropped)."""
    _require_main_applicant(by, application)
    _require_editable(application)
    before = {
        "budget": [
            [line.region.code, line.year, line.amount]
            for line in application.budget_lines.select_related("region")
        ]
    }
    seen: set[tuple[int, int]] = set()
    lines = []
    for entry in entries:
        if entry.amount < 0:
            raise ValidationFailed(
                code="negative_amount",
                field="budget",
                message=_("An amount cannot be negative."),
            )
        if entry.amount == 0:
            continue
        if (entry.region.pk, entry.year) in seen:
            raise ValidationFailed(
                code="line_twice",
                field="budget",
                message=_("%(region)s %(year)s appears twice.")
                % {"region": entry.region.short_name, "year": entry.year},
            )
        seen.add((entry.region.pk, entry.year))
        line = BudgetLine(
            application=application, region=entry.region, year=entry.year, amount=entry.amount
        )
        model_validate(line, exclude=["application"])
        lines.append(line)
    application.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(lines)
    audit_record(
        actor=by,
        action="funding.application.budget",
        obj=application,
        changes={"budget": [before["budget"], [[e.region.code, e.year, e.amount] for e in lines]]},
    )
    return lines


def co_applicant_link(co_applicant: CoApplicant) -> str:
    """The signed confirmation link; it names this co-applicant only."""
    token = signing.TimestampSigner(salt=LINK_SALT).sign(
        f"{co_applicant.pk}:{co_applicant.link_nonce}"
    )
    with translation.override(co_applicant.language):
        return settings.SITE_URL + reverse("funding:confirm", args=[token])


def co_applicant_by_link(token: str) -> CoApplicant | None:
    """The co-applicant a link was made for, or None when forged, expired or revoked."""
    max_age = settings.FUNDING_LINK_MAX_AGE_DAYS * 86400
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=max_age)
    except signing.BadSignature:
        return None
    pk, _sep, nonce = value.partition(":")
    if not pk.isdigit():
        return None
    co_applicant = (
        CoApplicant.objects.select_related("application__call", "application__main_applicant")
        .filter(pk=pk)
        .first()
    )
    if co_applicant is None or not secrets.compare_digest(co_applicant.link_nonce, nonce):
        return None
    return co_applicant


@transaction.atomic
def co_applicant_invite(
    *, by: User, application: Application, name: str, email: str, organisation: Organisation
) -> CoApplicant:
    """The main applicant invites a co-applicant by e-mail; they confirm through the link."""
    _require_main_applicant(by, application)
    _require_editable(application)
    email = email.strip().lower()
    if organisation.region_id is None or not node_regions().filter(pk=organisation.region_id):
        raise ValidationFailed(
            code="organisation_outside_node",
            field="organisation",
            message=_("Choose an organisation in one of the node's regions."),
        )
    if email == by.email.lower() or application.co_applicants.filter(email=email).exists():
        raise ValidationFailed(
            code="co_applicant_twice",
            field="email",
            message=_("%(email)s is already an applicant.") % {"email": email},
        )
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    co_applicant = CoApplicant(
        application=application,
        name=name.strip(),
        email=email,
        organisation=organisation,
        region_id=organisation.region_id,
        user=None,
        language=user.language if user else application.language,
        link_nonce=secrets.token_hex(16),
    )
    model_validate(co_applicant)
    co_applicant.save()
    audit_record(actor=by, action="funding.co_applicant.invite", obj=co_applicant, before={})
    send_templated_mail(
        to=email,
        language=co_applicant.language,
        template="funding/email/co_applicant_invited",
        context={
            "co_applicant": co_applicant,
            "application": application,
            "main": by.full_name,
            "link": co_applicant_link(co_applicant),
        },
    )
    return co_applicant


@transaction.atomic
def co_applicant_confirm(*, co_applicant: CoApplicant, by: User | None) -> CoApplicant:
    """The invited person confirms through their link; their account (signed in, or by the
    e-mail address) is tied to the application so that they can follow it."""
    co_applicant = CoApplicant.objects.select_for_update().get(pk=co_applicant.pk)
    if co_applicant.is_confirmed:
        return co_applicant
    _require_editable(co_applicant.application)
    before = snapshot(co_applicant)
    account = by or User.objects.filter(email__iexact=co_applicant.email, is_active=True).first()
    co_applicant.user = account
    co_applicant.confirmed_at = timezone.now()
    co_applicant.save(update_fields=["user", "confirmed_at"])
    audit_record(
        actor=by,
        action="funding.co_applicant.confirm",
        obj=co_applicant,
        before=before,
        role="co_applicant",
    )
    return co_applicant


@transaction.atomic
def co_applicant_remove(*, by: User, co_applicant: CoApplicant) -> None:
    """The main applicant takes a co-applicant off the draft."""
    application = co_applicant.application
    _require_main_applicant(by, application)
    _require_editable(application)
    audit_record(
        actor=by,
        action="funding.co_applicant.remove",
        obj=co_applicant,
        before=snapshot(co_applicant),
    )
    co_applicant.delete()


@transaction.atomic
def attachment_add(
    *, by: User, application: Application, document_key: str, upload: File
) -> Attachment:
    """Store a required document: a PDF within the size limit, under a random name; it
    replaces an earlier file for the same document."""
    _require_main_applicant(by, application)
    _require_editable(application)
    keys = {str(d["key"]) for d in application.call.required_documents}
    if document_key not in keys:
        raise ValidationFailed(
            code="unknown_document",
            field="document_key",
            message=_("The call asks for no such document."),
        )
    name = pdf_upload_check(upload, limit=settings.FUNDING_ATTACHMENT_MAX_BYTES, field="upload")
    for old in application.attachments.filter(document_key=document_key):
        audit_record(actor=by, action="funding.attachment.replace", obj=old, before=snapshot(old))
        private_discard(old.stored_name, folder=attachment_dir())
        old.delete()
    with private_stored(upload, folder=attachment_dir()) as (stored_name, _digest):
        attachment = Attachment(
            application=application,
            document_key=document_key,
            original_name=name,
            stored_name=stored_name,
            size=upload.size,
            uploaded_by=by,
        )
        model_validate(attachment)
        attachment.save()
    audit_record(actor=by, action="funding.attachment.add", obj=attachment, before={})
    return attachment


@transaction.atomic
def application_submit(*, by: User, application: Application) -> Application:
    """The main applicant submits before the deadline; the call's rules are checked first."""
    _require_main_applicant(by, application)
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_editable(application)
    problems = eligibility_problems(application)
    if problems:
        raise NotEligible(problems)
    before = snapshot(application)
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = timezone.now()
    application.save(update_fields=["state", "submitted_at"])
    audit_record(actor=by, action="funding.application.submit", obj=application, before=before)
    send_templated_mail(
        to=by.email,
        language=application.language,
        template="funding/email/submitted",
        context={"application": application, "link": _link(application, application.language)},
    )
    return application


def _link(application: Application, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + application.get_absolute_url()


# Review ---------------------------------------------------------------


def _require_submitted(application: Application) -> None:
    if application.state == ApplicationState.DRAFT:
        raise InvalidTransition(code="not_submitted", message=_("The application is a draft."))


@transaction.atomic
def reviewers_assign(
    *, by: User, application: Application, reviewers: Sequence[User], rapporteur: User
) -> list[ReviewAssignment]:
    """The chair sets who reviews an application and which of them is its rapporteur.
    Reviewers already assigned stay (their reviews are kept); new ones are added."""
    if not is_chair(by) or not applications_visible_to(by).filter(pk=application.pk).exists():
        raise PermissionDenied(code="not_chair", message=_("Only the committee chair assigns."))
    _require_submitted(application)
    if rapporteur not in reviewers:
        raise ValidationFailed(
            code="rapporteur_not_reviewer",
            field="rapporteur",
            message=_("The rapporteur must be one of the reviewers."),
        )
    applicant_emails = {application.main_applicant.email.lower()} | {
        c.email.lower() for c in application.co_applicants.all()
    }
    conflicted = set(
        application.conflict_declarations.filter(has_conflict=True).values_list("member", flat=True)
    )
    for reviewer in reviewers:
        if reviewer.email.lower() in applicant_emails:
            raise ValidationFailed(
                code="reviewer_is_applicant",
                field="reviewers",
                message=_("%(name)s is an applicant and cannot review.") % {"name": reviewer},
            )
        if reviewer.pk in conflicted:
            raise ValidationFailed(
                code="reviewer_conflicted",
                field="reviewers",
                message=_("%(name)s has declared a conflict of interest.") % {"name": reviewer},
            )
        if not (is_reviewer(reviewer) or is_chair(reviewer)):
            raise ValidationFailed(
                code="not_committee_member",
                field="reviewers",
                message=_("%(name)s is not on the committee.") % {"name": reviewer},
            )
    application.assignments.filter(is_rapporteur=True).exclude(reviewer=rapporteur).update(
        is_rapporteur=False
    )
    assignments = []
    for reviewer in reviewers:
        assignment, created = ReviewAssignment.objects.get_or_create(
            application=application,
            reviewer=reviewer,
            defaults={"assigned_by": by, "is_rapporteur": reviewer == rapporteur},
        )
        if not created and assignment.is_rapporteur != (reviewer == rapporteur):
            before = snapshot(assignment)
            assignment.is_rapporteur = reviewer == rapporteur
            assignment.save(update_fields=["is_rapporteur"])
            audit_record(
                actor=by, action="funding.assignment.rapporteur", obj=assignment, before=before
            )
        if created:
            audit_record(
                actor=by,
                action="funding.assignment.create",
                obj=assignment,
                before={},
                role=Role.FUNDING_CHAIR,
            )
            send_templated_mail(
                to=reviewer.email,
                language=reviewer.language,
                template="funding/email/assigned",
                context={"assignment": assignment, "reference": application.reference},
            )
        assignments.append(assignment)
    return assignments


@transaction.atomic
def conflict_declare(
    *, by: User, application: Application, has_conflict: bool, kind: str = "", note: str = ""
) -> ConflictDeclaration:
    """A committee member declares, once, whether they have a conflict of interest with an
    application. Reviewers declare before they can open it; a conflict locks them out of it
    for good, and of its scores and discussion."""
    assigned = application.assignments.filter(reviewer=by).exists()
    if not (assigned or is_chair(by)):
        raise PermissionDenied(
            code="not_committee_member",
            message=_("Only the application's reviewers and the chair declare."),
        )
    if ConflictDeclaration.objects.filter(application=application, member=by).exists():
        raise InvalidTransition(
            code="already_declared",
            message=_("You have already declared for this application."),
        )
    if has_conflict and not kind:
        raise ValidationFailed(
            code="kind_required", field="kind", message=_("Say what kind of conflict it is.")
        )
    declaration = ConflictDeclaration(
        application=application,
        member=by,
        has_conflict=has_conflict,
        kind=kind if has_conflict else "",
        note=note.strip(),
    )
    model_validate(declaration)
    declaration.save()
    if has_conflict:
        # A conflicted reviewer no longer reviews: their draft review goes with the assignment.
        for assignment in application.assignments.filter(reviewer=by):
            audit_record(
                actor=by,
                action="funding.assignment.withdraw",
                obj=assignment,
                before=snapshot(assignment),
                reason=str(_("conflict of interest")),
            )
            assignment.delete()
    audit_record(
        actor=by,
        action="funding.conflict.declare",
        obj=declaration,
        before={},
        role=Role.FUNDING_REVIEWER,
    )
    return declaration


@transaction.atomic
def review_save(
    *,
    by: User,
    assignment: ReviewAssignment,
    scores: dict[str, int],
    feasibility: int,
    comments: str = "",
    submit: bool = False,
) -> Review:
    """A reviewer saves scores and comments; submitting makes them final (and shows the
    other reviewers' scores to them)."""
    if assignment.reviewer_id != by.pk:
        raise PermissionDenied(code="not_reviewer", message=_("This is not your review."))
    application = assignment.application
    if not applications_visible_to(by).filter(pk=application.pk).exists():
        raise PermissionDenied(
            code="declare_first",
            message=_("Declare your conflicts of interest before you open the application."),
        )
    if hasattr(application, "decision"):
        raise InvalidTransition(code="decided", message=_("The application is decided."))
    review = Review.objects.select_for_update().filter(assignment=assignment).first()
    if review is not None and review.is_submitted:
        raise InvalidTransition(
            code="review_submitted", message=_("Your review is submitted and final.")
        )
    criteria = application.call.criteria_localised
    clean: dict[str, int] = {}
    for criterion in criteria:
        key = str(criterion["key"])
        low = int(str(criterion.get("min", SCORE_MIN)))
        high = int(str(criterion.get("max", SCORE_MAX)))
        value = scores.get(key)
        if value is None:
            if submit:
                raise ValidationFailed(
                    code="score_missing",
                    field=f"score_{key}",
                    message=_("Score “%(title)s”.") % {"title": criterion["title"]},
                )
            continue
        if not low <= int(value) <= high:
            raise ValidationFailed(
                code="score_out_of_range",
                field=f"score_{key}",
                message=_("A score for “%(title)s” lies from %(low)s to %(high)s.")
                % {"title": criterion["title"], "low": low, "high": high},
            )
        clean[key] = int(value)
    if not FEASIBILITY_MIN <= feasibility <= FEASIBILITY_MAX:
        raise ValidationFailed(
            code="feasibility_out_of_range",
            field="feasibility",
            message=_("Feasibility lies from 1 to 3."),
        )
    before = snapshot(review) if review is not None else {}
    if review is None:
        review = Review(assignment=assignment, feasibility=feasibility)
    review.scores = clean
    review.feasibility = feasibility
    review.comments = comments.strip()
    review.updated_at = timezone.now()
    if submit:
        review.submitted_at = timezone.now()
    model_validate(review, exclude=["assignment"])
    review.save()
    audit_record(
        actor=by,
        action="funding.review.submit" if submit else "funding.review.save",
        obj=review,
        before=before,
        role=Role.FUNDING_REVIEWER,
    )
    return review


@transaction.atomic
def discussion_add(*, by: User, application: Application, text: str) -> DiscussionNote:
    """The chair writes down what the committee said about an application."""
    if not is_chair(by) or not applications_visible_to(by).filter(pk=application.pk).exists():
        raise PermissionDenied(code="not_chair", message=_("Only the chair writes the minutes."))
    if not text.strip():
        raise ValidationFailed(code="note_empty", field="text", message=_("Write the note."))
    note = DiscussionNote(application=application, author=by, text=text.strip())
    model_validate(note)
    note.save()
    audit_record(actor=by, action="funding.discussion.add", obj=note, before={})
    return note


@transaction.atomic
def decision_record(
    *,
    by: User,
    application: Application,
    outcome: str,
    amount: int,
    reasons: str,
    letter_language: str = "",
) -> Decision:
    """The chair records the committee's decision after the deadline; the applicant is told
    by e-mail that the letter waits behind sign-in."""
    if not is_chair(by) or not applications_visible_to(by).filter(pk=application.pk).exists():
        raise PermissionDenied(code="not_chair", message=_("Only the committee chair decides."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_submitted(application)
    if application.call.closes_at > timezone.now():
        raise InvalidTransition(
            code="call_still_open", message=_("Decisions come after the deadline.")
        )
    if Decision.objects.filter(application=application).exists():
        raise InvalidTransition(code="already_decided", message=_("The decision is recorded."))
    if not reasons.strip():
        raise ValidationFailed(
            code="reasons_required", field="reasons", message=_("Give the reasons.")
        )
    if outcome == DecisionOutcome.GRANTED:
        from studienav.funding.eligibility import budget_totals

        applied = int(str(budget_totals(application)["total"]))
        if amount <= 0:
            raise ValidationFailed(
                code="amount_required", field="amount", message=_("Give the amount granted.")
            )
        if amount > applied:
            raise ValidationFailed(
                code="amount_above_applied",
                field="amount",
                message=_("The amount is more than applied for (%(applied)s kr).")
                % {"applied": applied},
            )
    else:
        amount = 0
    decision = Decision(
        application=application,
        outcome=outcome,
        amount=amount,
        reasons=reasons.strip(),
        letter_language=letter_language or application.language,
        decided_by=by,
    )
    model_validate(decision)
    decision.save()
    before = snapshot(application)
    application.state = (
        ApplicationState.GRANTED
        if outcome == DecisionOutcome.GRANTED
        else ApplicationState.REJECTED
    )
    application.save(update_fields=["state"])
    audit_record(
        actor=by, action="funding.decision.record", obj=decision, before={}, role=Role.FUNDING_CHAIR
    )
    audit_record(actor=by, action="funding.application.decide", obj=application, before=before)
    send_templated_mail(
        to=application.main_applicant.email,
        language=decision.letter_language,
        template="funding/email/decided",
        context={
            "application": application,
            "link": _link(application, decision.letter_language),
        },
    )
    return decision


# Follow-up ---------------------------------------------------------------


def doi_normalise(value: str) -> str:
    """A DOI as `10.xxxx/...`, from a bare DOI, `doi:` or a doi.org link; raises when not one."""
    text = value.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    if not DOI_PATTERN.match(text):
        raise ValidationFailed(
            code="doi_format",
            field="publications",
            message=_("“%(value)s” is not a DOI (10.NNNN/…).") % {"value": value.strip()[:100]},
        )
    return text


def report_years(application: Application) -> list[int]:
    """The years a granted project reports on: from the decision's year, for the call's length."""
    decision = Decision.objects.filter(application=application).first()
    if decision is None or not decision.is_granted:
        return []
    first = timezone.localtime(decision.decided_at).year
    return list(range(first, first + application.call.max_years))


@transaction.atomic
def report_submit(
    *,
    by: User,
    application: Application,
    year: int,
    progress: str,
    publications: Sequence[str] = (),
    studies: Sequence[Study] = (),
    further_funding: str = "",
    further_funding_amount: int = 0,
) -> FollowUpReport:
    """An applicant of a granted project submits the yearly report."""
    from studienav.funding.selectors import is_applicant

    if not is_applicant(by, application):
        raise PermissionDenied(code="not_applicant", message=_("Only the applicants report."))
    if year not in report_years(application):
        raise ValidationFailed(
            code="year_not_reported",
            field="year",
            message=_("No report is due for %(year)s.") % {"year": year},
        )
    if FollowUpReport.objects.filter(application=application, year=year).exists():
        raise InvalidTransition(
            code="report_exists",
            message=_("The report for %(year)s is already submitted.") % {"year": year},
        )
    if not progress.strip():
        raise ValidationFailed(
            code="progress_required", field="progress", message=_("Describe the progress.")
        )
    dois = list(dict.fromkeys(doi_normalise(p) for p in publications if p.strip()))
    report = FollowUpReport(
        application=application,
        year=year,
        progress=progress.strip(),
        publications=dois,
        further_funding=further_funding.strip(),
        further_funding_amount=further_funding_amount,
        submitted_by=by,
    )
    model_validate(report)
    report.save()
    report.studies.set(studies)
    audit_record(
        actor=by,
        action="funding.report.submit",
        obj=report,
        before={},
        changes={"studies": [s.pk for s in studies]},
    )
    return report


@transaction.atomic
def reminders_send(*, today: date | None = None) -> int:
    """Remind main applicants of granted projects before a yearly report is due, once per
    threshold; returns how many reminders were sent."""
    today = today or timezone.localdate()
    sent = 0
    granted = Application.objects.filter(state=ApplicationState.GRANTED).select_related(
        "main_applicant", "call"
    )
    for application in granted:
        reported = set(application.reports.values_list("year", flat=True))
        for year in report_years(application):
            if year in reported:
                continue
            days_left = (report_due_on(year) - today).days
            due = [d for d in REPORT_REMINDER_DAYS if 0 <= days_left <= d]
            if not due:
                continue
            threshold = min(due)
            if application.report_reminders.filter(
                year=year, days_before_due__lte=threshold
            ).exists():
                continue
            reminder = ReportReminder.objects.create(
                application=application, year=year, days_before_due=threshold
            )
            audit_record(actor=None, action="funding.report.remind", obj=reminder, before={})
            language = application.language
            send_templated_mail(
                to=application.main_applicant.email,
                language=language,
                template="funding/email/report_reminder",
                context={
                    "application": application,
                    "year": year,
                    "due": report_due_on(year),
                    "link": _link(application, language),
                },
            )
            sent += 1
    return sent
