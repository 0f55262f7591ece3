"""Every write of the participation app: registration, consent, rights, follow-up, referral."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from studienav.core.audit import access_log_record, audit_record
from studienav.core.errors import (
    DomainError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
    model_validate,
)
from studienav.core.models import Municipality, Region, User
from studienav.core.services import send_templated_mail
from studienav.participation.fields import email_hash, keyed_hash
from studienav.participation.identity import identity_number_normalise
from studienav.participation.matching import (
    interests_matching_study,
    nearest_site,
    recruiting_studies,
)
from studienav.participation.models import (
    Consent,
    ConsentText,
    ContactChannel,
    ContactLogEntry,
    ExpressionOfInterest,
    FollowUpTask,
    InterestKind,
    InterestStatus,
    NewStudyNotice,
    Referral,
    ReferralStatus,
)
from studienav.participation.selectors import (
    access_log_of,
    coordinators_of,
    current_consent,
    interests_visible_to,
    may_contact,
    referrals_to_decide,
    referrals_visible_to,
)
from studienav.participation.tokens import CONFIRM_MAX_AGE, interest_from_token, interest_token
from studienav.registry.models import Site, Study
from studienav.registry.selectors import studies_public

WARNING_DAYS = 30
UNCONFIRMED_DAYS = 30


class NotFound(DomainError):
    default_code = "not_found"


# The consent texts as now worded; a change in wording makes a new version on next use.
CONSENT_WORDING = {
    InterestKind.GENERAL: _(
        "I agree that the regional node of Kliniska Studier Sverige stores the information I "
        "give here, to find clinical studies that may suit me and to contact me about them. "
        "The region's research coordinators read it; nobody else. I can see, correct, download "
        "or delete my information, and withdraw this consent, at any time: withdrawal takes "
        "effect at once. Registrations without activity are deleted after %(months)s months, "
        "after a warning by e-mail."
    ),
    InterestKind.STUDY: _(
        "I agree that the regional node of Kliniska Studier Sverige stores the information I "
        "give here and passes it to the research coordinators and the study team of the study "
        "I chose, so that they can contact me about taking part. I can see, correct, download "
        "or delete my information, and withdraw this consent, at any time: withdrawal takes "
        "effect at once. Registrations without activity are deleted after %(months)s months, "
        "after a warning by e-mail."
    ),
}


def retention_months() -> int:
    return int(getattr(settings, "PARTICIPATION_RETENTION_MONTHS", 24))


@transaction.atomic
def consent_text_current(*, kind: str, language: str) -> ConsentText:
    """The current version of the consent text, creating a new version when the wording changed."""
    with translation.override(language):
        wording = str(CONSENT_WORDING[InterestKind(kind)]) % {"months": retention_months()}
    latest = (
        ConsentText.objects.select_for_update()
        .filter(kind=kind, language=language)
        .order_by("-version")
        .first()
    )
    if latest is not None and latest.text == wording:
        return latest
    text = ConsentText(
        kind=kind, language=language, text=wording, version=(latest.version + 1) if latest else 1
    )
    text.full_clean()
    text.save()
    audit_record(actor=None, action="participation.consent_text.create", obj=text, before={})
    return text


@dataclass
class PersonData:
    """What a person tells us about themselves (validated by the form or by interest_register)."""

    name: str
    email: str = ""
    phone: str = ""
    year_of_birth: int | None = None
    sex: str = ""
    municipality: Municipality | None = None
    conditions: list[str] = field(default_factory=list)
    free_text: str = ""
    identity_number: str = ""
    regions_of_interest: list[Region] = field(default_factory=list)


def _apply_person_data(interest: ExpressionOfInterest, data: PersonData) -> list[str]:
    """Copy the data onto the registration; the names of the fields that changed."""
    if not data.email.strip() and not data.phone.strip():
        raise ValidationFailed(
            code="contact_missing",
            field="email",
            message=_("Give an e-mail address or a phone number so that we can reach you."),
        )
    identity = (
        identity_number_normalise(data.identity_number) if data.identity_number.strip() else ""
    )
    values: dict[str, Any] = {
        "name": data.name.strip(),
        "email": data.email.strip(),
        "phone": data.phone.strip(),
        "identity_number": identity,
        "free_text": data.free_text.strip(),
        "email_hash": email_hash(data.email),
        "identity_hash": keyed_hash(identity),
        "year_of_birth": data.year_of_birth,
        "sex": data.sex or "",
        "municipality_id": data.municipality.pk if data.municipality else None,
        "conditions": [c.strip() for c in data.conditions if c.strip()][:20],
    }
    changed = []
    for name, value in values.items():
        if getattr(interest, name) != value:
            setattr(interest, name, value)
            changed.append(name.removesuffix("_id"))
    return changed


def _link(name: str, language: str, *args: Any) -> str:
    with translation.override(language):
        return str(settings.SITE_URL) + reverse(f"participation:{name}", args=args)


def _person_mail(*, interest: ExpressionOfInterest, template: str, context: dict[str, Any]) -> None:
    """An e-mail to the person, in their language, always with the withdrawal link."""
    if not interest.email:
        return
    withdraw = interest_token(purpose="withdraw", interest_id=interest.pk)
    send_templated_mail(
        to=interest.email,
        language=interest.language,
        template=f"participation/email/{template}",
        context={
            **context,
            "reference": interest.reference,
            "withdraw_link": _link("withdraw", interest.language, withdraw),
            "my_link": _link("my_sign_in", interest.language),
        },
    )


def _notify_coordinators(*, interest: ExpressionOfInterest) -> None:
    """Tell the coordinators (or the site contact) that a registration awaits: no personal data."""
    recipients = [(u.email, u.language) for u in coordinators_of(interest.region)]
    if not recipients and interest.site is not None and interest.site.contact_email:
        recipients = [(interest.site.contact_email, "sv")]
    for address, language in recipients:
        send_templated_mail(
            to=address,
            language=language,
            template="participation/email/new_interest",
            context={
                "reference": interest.reference,
                "link": _link("person", language, interest.pk),
            },
        )


def _route_study_interest(
    study: Study, municipality: Municipality | None
) -> tuple[Site | None, Region | None]:
    sites = list(study.sites.select_related("organisation__municipality", "region"))
    origin = (municipality.latitude, municipality.longitude) if municipality else None
    site, _km = nearest_site(sites, origin)
    if site is not None:
        return site, site.region or site.organisation.region
    return None, None


@transaction.atomic
def interest_register(
    *,
    kind: str,
    data: PersonData,
    consent_text: ConsentText,
    language: str,
    study: Study | None = None,
    notify_new_studies: bool = False,
    share_for_referral: bool = False,
) -> ExpressionOfInterest:
    """Register interest (general or in one study) and e-mail the confirmation link (opt-in)."""
    if consent_text.kind != kind:
        raise ValidationFailed(
            code="consent_text_mismatch",
            field="consent",
            message=_("The consent text does not belong to this form: please reload the page."),
        )
    site: Site | None = None
    region: Region | None = data.municipality.region if data.municipality else None
    if kind == InterestKind.STUDY:
        if study is None or not recruiting_studies().filter(pk=study.pk).exists():
            raise ValidationFailed(
                code="study_not_recruiting",
                field="study",
                message=_("This study does not take registrations of interest now."),
            )
        site, site_region = _route_study_interest(study, data.municipality)
        region = site_region or study.lead_region or region
    if region is None:
        raise ValidationFailed(
            code="municipality_missing",
            field="municipality",
            message=_("Give the municipality you live in, so that the right region can answer."),
        )
    interest = ExpressionOfInterest(
        kind=kind,
        study=study if kind == InterestKind.STUDY else None,
        site=site,
        region=region,
        language=language,
    )
    _apply_person_data(interest, data)
    model_validate(interest, code="invalid")
    interest.save()
    if kind == InterestKind.GENERAL:
        interest.regions_of_interest.set(data.regions_of_interest)
    consent = Consent(
        interest=interest,
        text=consent_text,
        notify_new_studies=notify_new_studies and kind == InterestKind.GENERAL,
        share_for_referral=share_for_referral,
    )
    consent.full_clean()
    consent.save()
    audit_record(
        actor=None,
        action="participation.interest.register",
        obj=interest,
        changes={
            "kind": kind,
            "study": study.pk if study else None,
            "region": region.pk,
            "consent_text": consent_text.pk,
        },
    )
    if interest.email:
        token = interest_token(purpose="confirm", interest_id=interest.pk)
        _person_mail(
            interest=interest,
            template="confirm",
            context={"confirm_link": _link("confirm", language, token), "days": 7},
        )
    else:
        _notify_coordinators(interest=interest)  # phone only: consent is confirmed by phone
    return interest


@transaction.atomic
def interest_confirm(*, token: str) -> ExpressionOfInterest:
    """Double opt-in: the link in the e-mail confirms the registration and its consent."""
    interest_id = interest_from_token(purpose="confirm", token=token, max_age=CONFIRM_MAX_AGE)
    interest = (
        ExpressionOfInterest.objects.select_for_update()
        .filter(pk=interest_id or 0, erased_at__isnull=True, withdrawn_at__isnull=True)
        .first()
    )
    if interest is None:
        raise NotFound(
            code="confirm_link_invalid",
            message=_("The link is not valid any more. Please register again."),
        )
    if interest.confirmed_at is not None:
        return interest
    now = timezone.now()
    interest.confirmed_at = now
    interest.last_activity_at = now
    interest.save(update_fields=["confirmed_at", "last_activity_at"])
    interest.consents.filter(confirmed_at__isnull=True).update(confirmed_at=now)
    audit_record(actor=None, action="participation.interest.confirm", obj=interest)
    _notify_coordinators(interest=interest)
    return interest


def _erase(interest: ExpressionOfInterest) -> None:
    interest.contacts.all().delete()
    interest.tasks.all().delete()
    interest.referrals.update(shared_data="")
    for name in ("name", "email", "phone", "identity_number", "free_text"):
        setattr(interest, name, "")
    interest.email_hash = ""
    interest.identity_hash = ""
    interest.year_of_birth = None
    interest.sex = ""
    interest.municipality = None
    interest.conditions = []
    interest.regions_of_interest.clear()


@transaction.atomic
def interest_withdraw(
    *, interest: ExpressionOfInterest, by: User | None = None
) -> ExpressionOfInterest:
    """Withdraw consent, at once: e-mails and matching stop and the personal data is erased.

    What remains is a row without personal data (region, kind, dates, status) for the figures.
    """
    if interest.erased_at is not None:
        return interest
    now = timezone.now()
    _erase(interest)
    interest.status = InterestStatus.WITHDRAWN
    interest.withdrawn_at = now
    interest.erased_at = now
    interest.save()
    interest.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    audit_record(actor=by, action="participation.interest.withdraw", obj=interest)
    return interest


@transaction.atomic
def interest_delete(
    *, interest: ExpressionOfInterest, by: User | None = None, reason: str = ""
) -> None:
    """Delete the registration and everything about it (the person's right to erasure).

    The audit trail keeps the event with the registration's number only.
    """
    audit_record(actor=by, action="participation.interest.delete", obj=interest, reason=reason)
    interest.delete()


@transaction.atomic
def interest_correct(*, interest: ExpressionOfInterest, data: PersonData) -> ExpressionOfInterest:
    """The person corrects their data; the trail names the fields, never their values."""
    if interest.erased_at is not None:
        raise InvalidTransition(code="withdrawn", message=_("This registration was withdrawn."))
    changed = _apply_person_data(interest, data)
    if interest.kind == InterestKind.GENERAL and interest.municipality is not None:
        interest.region = interest.municipality.region
    interest.last_activity_at = timezone.now()
    model_validate(interest, code="invalid")
    interest.save()
    if interest.kind == InterestKind.GENERAL:
        interest.regions_of_interest.set(data.regions_of_interest)
    audit_record(
        actor=None,
        action="participation.interest.correct",
        obj=interest,
        changes={"fields": sorted(changed)},
    )
    return interest


@transaction.atomic
def interest_keep(*, interest: ExpressionOfInterest) -> ExpressionOfInterest:
    """The person wants to stay registered: the retention period starts again."""
    interest.last_activity_at = timezone.now()
    interest.expiry_warned_at = None
    interest.save(update_fields=["last_activity_at", "expiry_warned_at"])
    audit_record(actor=None, action="participation.interest.keep", obj=interest)
    return interest


def interest_export(*, interest: ExpressionOfInterest) -> dict[str, Any]:
    """Everything stored about the person, as plain data (the right of access)."""
    return {
        "reference": interest.reference,
        "kind": interest.kind,
        "study": {"id": interest.study.pk, "title": interest.study.public_title}
        if interest.study
        else None,
        "region": interest.region.name,
        "status": interest.status,
        "language": interest.language,
        "name": interest.name,
        "email": interest.email,
        "phone": interest.phone,
        "identity_number": interest.identity_number,
        "year_of_birth": interest.year_of_birth,
        "sex": interest.sex,
        "municipality": interest.municipality.name if interest.municipality else None,
        "conditions": interest.conditions,
        "regions_of_interest": [r.name for r in interest.regions_of_interest.all()],
        "free_text": interest.free_text,
        "created_at": interest.created_at.isoformat(),
        "confirmed_at": interest.confirmed_at.isoformat() if interest.confirmed_at else None,
        "last_activity_at": interest.last_activity_at.isoformat(),
        "consents": [
            {
                "version": c.text.version,
                "language": c.text.language,
                "text": c.text.text,
                "given_at": c.given_at.isoformat(),
                "confirmed_at": c.confirmed_at.isoformat() if c.confirmed_at else None,
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                "notify_new_studies": c.notify_new_studies,
                "share_for_referral": c.share_for_referral,
            }
            for c in interest.consents.select_related("text")
        ],
        "contacts": [
            {
                "at": c.at.isoformat(),
                "channel": c.channel,
                "note": c.note,
                "status_after": c.status_after,
            }
            for c in interest.contacts.all()
        ],
        "referrals": [
            {
                "site": str(r.site),
                "from_region": r.from_region.name,
                "to_region": r.to_region.name,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
                "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            }
            for r in interest.referrals.select_related(
                "site__organisation", "from_region", "to_region"
            )
        ],
        "access_log": [
            {
                "at": e.accessed_at.isoformat(),
                "by": User.objects.filter(pk=e.actor_id)
                .values_list("full_name", flat=True)
                .first(),
                "purpose": e.purpose,
            }
            for e in access_log_of(interest)
        ],
    }


def _check_follows_up(*, interest: ExpressionOfInterest, by: User) -> None:
    if not interests_visible_to(by).filter(pk=interest.pk).exists():
        raise PermissionDenied(
            code="not_coordinator_of_region",
            message=_("Only the coordinators of the person's region follow this person up."),
        )


def interest_open(*, interest: ExpressionOfInterest, by: User, purpose: str) -> None:
    """Staff open a person's data: checked and written to the access log with the purpose."""
    _check_follows_up(interest=interest, by=by)
    if not purpose.strip():
        raise ValidationFailed(
            code="purpose_missing", field="purpose", message=_("Say why you open this person.")
        )
    access_log_record(actor=by, subject=interest, purpose=purpose)


def _status_set(interest: ExpressionOfInterest, status: str, now: datetime.datetime) -> list[str]:
    fields = ["status", "last_activity_at"]
    interest.status = status
    interest.last_activity_at = now
    if status != InterestStatus.NEW and interest.first_contact_at is None:
        interest.first_contact_at = now
        fields.append("first_contact_at")
    if status == InterestStatus.ENROLLED and interest.enrolled_at is None:
        interest.enrolled_at = now
        fields.append("enrolled_at")
    return fields


@transaction.atomic
def contact_log_add(
    *,
    interest: ExpressionOfInterest,
    by: User,
    channel: str,
    note: str = "",
    status: str = "",
    study: Study | None = None,
) -> ContactLogEntry:
    """Record a contact or a note, and move the person to a new status if one is given."""
    _check_follows_up(interest=interest, by=by)
    if status == InterestStatus.WITHDRAWN:
        raise InvalidTransition(
            code="withdraw_by_person",
            field="status",
            message=_("Only the person withdraws: send them the link, or record their wish."),
        )
    now = timezone.now()
    entry = ContactLogEntry(
        interest=interest, by=by, channel=channel, note=note, status_after=status, study=study
    )
    entry.full_clean()
    entry.save()
    fields = _status_set(interest, status or interest.status, now)
    if (
        channel == ContactChannel.PHONE
        and not interest.email_hash
        and interest.confirmed_at is None
    ):
        # A phone-only registration: the person confirmed their consent on the phone.
        interest.confirmed_at = now
        interest.consents.filter(confirmed_at__isnull=True).update(confirmed_at=now)
        fields.append("confirmed_at")
    before_status = ExpressionOfInterest.objects.values_list("status", flat=True).get(
        pk=interest.pk
    )
    interest.save(update_fields=fields)
    audit_record(
        actor=by,
        action="participation.interest.contact",
        obj=interest,
        changes={
            "channel": channel,
            "status": [before_status, interest.status],
            "contact": entry.pk,
        },
    )
    return entry


@transaction.atomic
def task_add(
    *, interest: ExpressionOfInterest, by: User, due_on: datetime.date, description: str
) -> FollowUpTask:
    _check_follows_up(interest=interest, by=by)
    task = FollowUpTask(interest=interest, due_on=due_on, description=description, created_by=by)
    task.full_clean()
    task.save()
    audit_record(actor=by, action="participation.task.add", obj=task, changes={"due_on": due_on})
    return task


@transaction.atomic
def task_done(*, task: FollowUpTask, by: User) -> FollowUpTask:
    _check_follows_up(interest=task.interest, by=by)
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    audit_record(actor=by, action="participation.task.done", obj=task)
    return task


def _study_information_context(study: Study, language: str) -> dict[str, Any]:
    with translation.override(language):
        title = study.display_title
        summary = study.display_summary
    return {
        "title": title,
        "summary": summary,
        "contact_name": study.public_contact_name,
        "contact_email": study.public_contact_email,
        "contact_phone": study.public_contact_phone,
        "study_link": str(settings.SITE_URL) + _study_url(study, language),
    }


def _study_url(study: Study, language: str) -> str:
    with translation.override(language):
        return study.get_absolute_url()


@transaction.atomic
def interest_send_study_information(
    *, interest: ExpressionOfInterest, study: Study, by: User
) -> ContactLogEntry:
    """E-mail the person information about a study, in their language (one click in the queue)."""
    _check_follows_up(interest=interest, by=by)
    if not studies_public().filter(pk=study.pk).exists():
        raise ValidationFailed(
            code="study_not_public", field="study", message=_("The study is not public.")
        )
    if not may_contact(interest):
        raise InvalidTransition(
            code="no_email_consent",
            message=_("The person has no confirmed e-mail consent: contact them another way."),
        )
    _person_mail(
        interest=interest,
        template="study_information",
        context=_study_information_context(study, interest.language),
    )
    return contact_log_add(
        interest=interest,
        by=by,
        channel=ContactChannel.EMAIL,
        status=InterestStatus.INFORMATION_SENT,
        study=study,
        note=gettext("Study information sent: %(study)s") % {"study": study.public_title},
    )


def interests_to_notify() -> QuerySet[ExpressionOfInterest]:
    """General registrations, confirmed and not withdrawn, whose consent asks for new studies."""
    consents = Consent.objects.filter(
        notify_new_studies=True, withdrawn_at__isnull=True, confirmed_at__isnull=False
    )
    return ExpressionOfInterest.objects.filter(
        kind=InterestKind.GENERAL,
        confirmed_at__isnull=False,
        withdrawn_at__isnull=True,
        erased_at__isnull=True,
        pk__in=consents.values("interest_id"),
    )


@transaction.atomic
def new_study_notice_queue(*, study_id: int) -> NewStudyNotice:
    """Record that people are to hear of a newly published study (once per study, ever).

    The publish service calls this in its transaction; `studienav notify-new-studies` sends.
    Matching every registration against the study takes seconds at 100,000 registrations, too
    long for the coordinator's request, and a queued notice survives a failed run.
    """
    notice, created = NewStudyNotice.objects.get_or_create(study_id=study_id)
    if created:
        audit_record(actor=None, action="participation.new_study_notice.queue", obj=notice)
    return notice


def interest_notify_new_study(study_id: int) -> int:
    """E-mail people who asked for it about a newly published study that matches them.

    Each person hears of a study at most once: people are taken in id order and the notice
    keeps the last one handled, in the same transaction as that person's e-mail, so running
    this again (or after a failure half-way) e-mails only those not yet handled. Returns the
    number of e-mails sent by this call.
    """
    notice = new_study_notice_queue(study_id=study_id)
    if notice.done_at is not None:
        return 0
    interests = interests_to_notify().filter(pk__gt=notice.last_interest_id)
    ids = interests_matching_study(study_id=study_id, interests=interests)
    study = Study.objects.filter(pk=study_id).first()
    sent = 0
    for start in range(0, len(ids), 500):
        chunk = interests.filter(pk__in=ids[start : start + 500]).order_by("pk")
        for interest in chunk:
            assert study is not None  # matched, so indexed and public
            with transaction.atomic():
                _person_mail(
                    interest=interest,
                    template="new_study",
                    context=_study_information_context(study, interest.language),
                )
                audit_record(
                    actor=None,
                    action="participation.interest.notify_new_study",
                    obj=interest,
                    changes={"study": study.pk},
                )
                notice.last_interest_id = interest.pk
                notice.sent += 1
                notice.save(update_fields=["last_interest_id", "sent"])
            sent += 1
    with transaction.atomic():
        notice.done_at = timezone.now()
        notice.save(update_fields=["done_at"])
        audit_record(
            actor=None,
            action="participation.new_study_notice.done",
            obj=notice,
            changes={"sent": notice.sent},
        )
    return sent


def new_study_notices_send() -> int:
    """Work through the queued notices of new studies (cron, idempotent); returns e-mails sent."""
    pending = NewStudyNotice.objects.filter(done_at__isnull=True).order_by("pk")
    return sum(
        interest_notify_new_study(study_id)
        for study_id in pending.values_list("study_id", flat=True)
    )


SHARED_FIELDS = ("name", "email", "phone", "year_of_birth", "sex", "conditions")


@transaction.atomic
def referral_create(
    *, interest: ExpressionOfInterest, site: Site, by: User, note: str = ""
) -> Referral:
    """Refer the person to a study site in another region, sharing only what they consented to."""
    _check_follows_up(interest=interest, by=by)
    consent = current_consent(interest)
    if consent is None or not consent.is_valid or not consent.share_for_referral:
        raise PermissionDenied(
            code="no_referral_consent",
            field="site",
            message=_("The person has not agreed to be referred to another region."),
        )
    to_region = site.region or site.organisation.region
    if to_region is None or to_region == interest.region:
        raise ValidationFailed(
            code="same_region",
            field="site",
            message=_("Choose a site in another region; follow up in your own region directly."),
        )
    if not recruiting_studies().filter(pk=site.study_id).exists() or not site.is_recruiting:
        raise ValidationFailed(
            code="site_not_recruiting", field="site", message=_("The site does not recruit now.")
        )
    if interest.referrals.filter(site=site, status=ReferralStatus.PENDING).exists():
        raise InvalidTransition(
            code="already_referred",
            field="site",
            message=_("The person is already referred there."),
        )
    shared = {name: getattr(interest, name) for name in SHARED_FIELDS}
    shared["municipality"] = interest.municipality.name if interest.municipality else ""
    shared["note"] = note
    referral = Referral(
        interest=interest,
        site=site,
        from_region=interest.region,
        to_region=to_region,
        shared_data=json.dumps(shared, ensure_ascii=False),
        created_by=by,
    )
    referral.full_clean()
    referral.save()
    fields = _status_set(interest, InterestStatus.REFERRED, timezone.now())
    interest.save(update_fields=fields)
    audit_record(
        actor=by,
        action="participation.referral.create",
        obj=referral,
        changes={
            "interest": interest.pk,
            "site": site.pk,
            "from_region": referral.from_region_id,
            "to_region": to_region.pk,
            "shared_fields": sorted(shared),
        },
    )
    for user in coordinators_of(to_region):
        send_templated_mail(
            to=user.email,
            language=user.language,
            template="participation/email/referral",
            context={"link": _link("referrals", user.language), "reference": f"R{referral.pk}"},
        )
    return referral


def referral_open(*, referral: Referral, by: User) -> dict[str, Any]:
    """The shared data of a referral, for the receiving coordinator; logged as a read."""
    if not referrals_visible_to(by).filter(pk=referral.pk).exists():
        raise PermissionDenied(code="not_coordinator_of_region")
    access_log_record(actor=by, subject=referral.interest, purpose=f"referral R{referral.pk}")
    return dict(json.loads(referral.shared_data)) if referral.shared_data else {}


def referrals_to_decide_exists(*, referral: Referral, by: User) -> bool:
    return referrals_to_decide(by).filter(pk=referral.pk).exists()


@transaction.atomic
def referral_decide(*, referral: Referral, by: User, accept: bool, reason: str = "") -> Referral:
    """The receiving region accepts or declines a referral."""
    if not referrals_to_decide_exists(referral=referral, by=by):
        raise PermissionDenied(
            code="not_receiving_coordinator",
            message=_("Only the coordinators of the receiving region decide."),
        )
    if referral.status != ReferralStatus.PENDING:
        raise InvalidTransition(
            code="already_decided", message=_("The referral was already decided.")
        )
    before = {"status": referral.status}
    referral.status = ReferralStatus.ACCEPTED if accept else ReferralStatus.DECLINED
    referral.decided_by = by
    referral.decided_at = timezone.now()
    referral.decision_reason = reason
    referral.full_clean()
    referral.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=by,
        action="participation.referral.decide",
        obj=referral,
        before=before,
        after={"status": referral.status},
        reason=reason,
    )
    return referral


def _months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class PurgeReport:
    warned: int
    deleted: int
    unconfirmed_deleted: int


def interests_purge_expired(*, now: datetime.datetime | None = None) -> PurgeReport:
    """Warn, then delete, registrations without activity for the retention period (idempotent).

    Warned WARNING_DAYS before expiry; deleted once expired and warned at least that long ago.
    Unconfirmed registrations go after UNCONFIRMED_DAYS.
    """
    now = now or timezone.now()
    expires_before = _months_before(now, retention_months())
    warn_before = expires_before + datetime.timedelta(days=WARNING_DAYS)
    live = ExpressionOfInterest.objects.filter(erased_at__isnull=True)
    warned = 0
    for interest in live.filter(
        confirmed_at__isnull=False, last_activity_at__lt=warn_before, expiry_warned_at__isnull=True
    ):
        with transaction.atomic():
            interest.expiry_warned_at = now
            interest.save(update_fields=["expiry_warned_at"])
            audit_record(actor=None, action="participation.interest.expiry_warn", obj=interest)
            keep = interest_token(purpose="keep", interest_id=interest.pk)
            _person_mail(
                interest=interest,
                template="expiry_warning",
                context={"keep_link": _link("keep", interest.language, keep), "days": WARNING_DAYS},
            )
        warned += 1
    deleted = 0
    for interest in live.filter(
        last_activity_at__lt=expires_before,
        expiry_warned_at__lte=now - datetime.timedelta(days=WARNING_DAYS),
    ):
        interest_delete(interest=interest, reason="retention expired")
        deleted += 1
    unconfirmed = 0
    for interest in live.filter(
        confirmed_at__isnull=True,
        created_at__lt=now - datetime.timedelta(days=UNCONFIRMED_DAYS),
    ).exclude(email_hash=""):
        interest_delete(interest=interest, reason="never confirmed")
        unconfirmed += 1
    return PurgeReport(warned=warned, deleted=deleted, unconfirmed_deleted=unconfirmed)


def keys_rotate() -> int:
    """Re-encrypt every encrypted value with the first key of PARTICIPATION_KEYS; the row count."""
    from studienav.participation.fields import EncryptedTextField

    count = 0
    for model in (ExpressionOfInterest, ContactLogEntry, FollowUpTask, Referral):
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        for pk in model.objects.values_list("pk", flat=True).iterator(chunk_size=1000):
            with transaction.atomic():
                row = model.objects.select_for_update().get(pk=pk)
                # Reading decrypts with any key; saving encrypts with the first.
                row.save(update_fields=names)
            count += 1
    return count
