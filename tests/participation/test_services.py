"""Registration, consent, the person's rights, retention, follow-up and referral, as stories."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from studienav.core.errors import DomainError, PermissionDenied
from studienav.core.models import AccessLogEntry, AuditEvent, User
from studienav.participation import services
from studienav.participation.models import (
    Consent,
    ConsentText,
    ContactChannel,
    ExpressionOfInterest,
    InterestKind,
    InterestStatus,
    ReferralStatus,
)
from studienav.participation.selectors import access_log_of, interests_visible_to
from studienav.participation.services import consent_text_current, interest_confirm
from studienav.participation.tokens import interest_token
from tests.participation.conftest import RegisterFn, StudyMaker, municipality, person

pytestmark = pytest.mark.django_db(transaction=False)

SECRETS = ("Eva Lind", "eva@test.example", "070-1234567", "198112189876", "tio år")


def _all_raw_text() -> str:
    """Every row of every participation and core table, as text, read past the ORM."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label not in {"participation", "core"}:
                continue
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            chunks.extend(str(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_registration_waits_for_the_emailed_link(register: RegisterFn, bertil: User) -> None:
    interest = register(confirmed=False)
    assert interest.confirmed_at is None
    assert len(mail.outbox) == 0  # sent on commit: the test transaction never commits
    assert not interests_visible_to(bertil).filter(pk=interest.pk).exists()
    interest_confirm(token=interest_token(purpose="confirm", interest_id=interest.pk))
    interest.refresh_from_db()
    assert interest.confirmed_at is not None
    assert interest.consents.get().confirmed_at is not None
    assert interests_visible_to(bertil).filter(pk=interest.pk).exists()


def test_a_forged_confirmation_link_confirms_nothing(register: RegisterFn) -> None:
    interest = register(confirmed=False)
    with pytest.raises(DomainError):
        interest_confirm(token=interest_token(purpose="withdraw", interest_id=interest.pk))
    interest.refresh_from_db()
    assert interest.confirmed_at is None


def test_confirmation_email_carries_links_but_never_the_identity_number(
    register: RegisterFn, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        register(confirmed=False, identity_number="811218-9876")
    message = mail.outbox[-1]
    assert message.to == ["eva@test.example"]
    assert "/participation/confirm/" in message.body
    assert "/participation/withdraw/" in message.body
    assert "9876" not in message.body and "9876" not in message.subject


def test_consent_keeps_the_exact_text_version_the_person_saw(register: RegisterFn) -> None:
    first = consent_text_current(kind=InterestKind.GENERAL, language="sv")
    interest = register()
    with override_settings(PARTICIPATION_RETENTION_MONTHS=12):
        second = consent_text_current(kind=InterestKind.GENERAL, language="sv")
    assert second.version == first.version + 1
    assert "12" in second.text
    consent = Consent.objects.get(interest=interest)
    assert consent.text == first
    assert consent.text.text == ConsentText.objects.get(pk=first.pk).text
    # Back to the old wording: a third version, never an edit of an old one.
    third = consent_text_current(kind=InterestKind.GENERAL, language="sv")
    assert third.version == second.version + 1 and third.text == first.text
    assert consent_text_current(kind=InterestKind.GENERAL, language="sv") == third


def test_withdrawal_takes_effect_at_once(
    register: RegisterFn, bertil: User, make_study: StudyMaker
) -> None:
    interest = register()
    services.interest_withdraw(interest=interest)
    interest.refresh_from_db()
    assert interest.status == InterestStatus.WITHDRAWN
    assert not interests_visible_to(bertil).filter(pk=interest.pk).exists()
    assert interest.consents.get().withdrawn_at is not None
    study = make_study("Diabetesstudien", conditions=[("typ 2-diabetes", "E11")], sites=["1880"])
    assert services.interest_notify_new_study(study.pk) == 0
    for secret in SECRETS:
        assert secret not in _all_raw_text()


def test_person_exports_all_their_data(register: RegisterFn, bertil: User) -> None:
    interest = register(identity_number="811218-9876")
    services.interest_open(interest=interest, by=bertil, purpose="Follow-up")
    data = json.loads(json.dumps(services.interest_export(interest=interest)))
    assert data["name"] == "Eva Lind"
    assert data["email"] == "eva@test.example"
    assert data["identity_number"] == "198112189876"
    assert data["conditions"] == ["diabetes"]
    assert data["consents"][0]["text"].startswith("I agree") or data["consents"][0]["text"]
    assert data["consents"][0]["version"] >= 1
    assert data["access_log"][0]["by"] == "Bertil Ek"
    assert data["access_log"][0]["purpose"] == "Follow-up"


def test_person_corrects_their_data_and_the_trail_names_only_fields(register: RegisterFn) -> None:
    interest = register()
    services.interest_correct(
        interest=interest,
        data=person(
            name="Eva Lindqvist", email="eva.l@test.example", municipality=municipality("0380")
        ),
    )
    fresh = ExpressionOfInterest.objects.get(pk=interest.pk)
    assert fresh.name == "Eva Lindqvist"
    assert fresh.region.code == "03"
    event = AuditEvent.objects.filter(action="participation.interest.correct").get()
    assert set(event.changes["fields"]) >= {"name", "email", "email_hash", "municipality"}
    assert "Lindqvist" not in json.dumps(event.changes)


def test_deleted_person_leaves_no_personal_data_in_any_table(
    register: RegisterFn, bertil: User, make_study: StudyMaker
) -> None:
    interest = register(identity_number="811218-9876")
    services.interest_open(interest=interest, by=bertil, purpose="Follow-up")
    services.contact_log_add(
        interest=interest, by=bertil, channel=ContactChannel.PHONE, note="Ringde Eva Lind"
    )
    services.task_add(
        interest=interest, by=bertil, due_on=datetime.date(2030, 1, 1), description="Ring Eva"
    )
    pk = interest.pk
    services.interest_delete(interest=interest, reason="deleted by the person")
    assert not ExpressionOfInterest.objects.filter(pk=pk).exists()
    raw = _all_raw_text()
    for secret in (*SECRETS, "Ringde Eva", "Ring Eva"):
        assert secret not in raw
    event = AuditEvent.objects.get(action="participation.interest.delete")
    assert event.object_id == str(pk) and event.object_label == f"#{pk}"


def test_every_staff_read_is_logged_and_shown_to_the_person(
    register: RegisterFn, bertil: User
) -> None:
    interest = register()
    services.interest_open(interest=interest, by=bertil, purpose="Finding suitable studies")
    entry = access_log_of(interest).get()
    assert entry.actor_id == bertil.pk
    assert entry.purpose == "Finding suitable studies"


def test_coordinator_of_another_region_cannot_open_the_person(
    register: RegisterFn, ulla: User
) -> None:
    interest = register()  # lives in Örebro
    with pytest.raises(PermissionDenied):
        services.interest_open(interest=interest, by=ulla, purpose="Follow-up")
    assert not AccessLogEntry.objects.exists()


def test_study_specific_interest_goes_to_the_nearest_recruiting_site(
    register: RegisterFn, make_study: StudyMaker, ulla: User, bertil: User
) -> None:
    study = make_study("Astmastudien", sites=["0380", "1880"])  # Uppsala and Örebro
    interest = register(kind=InterestKind.STUDY, study=study, municipality=municipality("1881"))
    assert interest.site is not None and interest.site.region is not None
    assert interest.site.region.code == "18"
    assert interest.region.code == "18"
    # Coordinators of the study's other regions see the person too.
    assert interests_visible_to(ulla).filter(pk=interest.pk).exists()
    assert interests_visible_to(bertil).filter(pk=interest.pk).exists()


def test_no_interest_in_a_study_that_is_not_public(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    draft = make_study("Utkast", state="draft")
    with pytest.raises(DomainError) as caught:
        register(kind=InterestKind.STUDY, study=draft)
    assert caught.value.code == "study_not_recruiting"
    assert not ExpressionOfInterest.objects.exists()


def test_status_and_first_contact_follow_the_contact_log(
    register: RegisterFn, bertil: User
) -> None:
    interest = register()
    services.contact_log_add(
        interest=interest, by=bertil, channel=ContactChannel.PHONE, status=InterestStatus.CONTACTED
    )
    interest.refresh_from_db()
    assert interest.status == InterestStatus.CONTACTED
    assert interest.first_contact_at is not None
    with pytest.raises(DomainError):
        services.contact_log_add(
            interest=interest, by=bertil, channel="note", status=InterestStatus.WITHDRAWN
        )


def test_coordinator_sends_study_information_in_the_persons_language(
    register: RegisterFn,
    bertil: User,
    make_study: StudyMaker,
    django_capture_on_commit_callbacks: object,
) -> None:
    study = make_study("Diabetesstudien", conditions=[("typ 2-diabetes", "E11")], sites=["1880"])
    interest = register()
    interest.language = "en"
    interest.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.interest_send_study_information(interest=interest, study=study, by=bertil)
    message = mail.outbox[-1]
    assert message.to == ["eva@test.example"]
    assert "A study that may suit you" in message.subject
    assert "/en/" in message.body and "/participation/withdraw/" in message.body
    interest.refresh_from_db()
    assert interest.status == InterestStatus.INFORMATION_SENT


def test_people_who_agreed_hear_of_a_new_matching_study(
    register: RegisterFn, make_study: StudyMaker, django_capture_on_commit_callbacks: object
) -> None:
    wants = register()
    register(email="quiet@test.example", notify=False)
    register(email="other@test.example", conditions=["astma"])
    study = make_study(
        "Diabetesstudien", conditions=[("Type 2 diabetes mellitus", "E11")], sites=["1880"]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        sent = services.interest_notify_new_study(study.pk)
    assert sent == 1
    assert [m.to for m in mail.outbox] == [["eva@test.example"]]
    assert AuditEvent.objects.filter(
        action="participation.interest.notify_new_study", object_id=str(wants.pk)
    ).exists()


def test_referral_to_another_region_shares_only_what_was_consented(
    register: RegisterFn, bertil: User, ulla: User, make_study: StudyMaker
) -> None:
    study = make_study("Diabetesstudien", sites=["0380"])
    site = study.sites.get()
    interest = register(identity_number="811218-9876")
    referral = services.referral_create(interest=interest, site=site, by=bertil, note="Passar")
    assert referral.from_region.code == "18" and referral.to_region.code == "03"
    shared = services.referral_open(referral=referral, by=ulla)
    assert shared["name"] == "Eva Lind"
    assert "identity_number" not in shared and "free_text" not in shared
    assert access_log_of(interest).filter(actor_id=ulla.pk).exists()
    with pytest.raises(PermissionDenied):
        services.referral_decide(referral=referral, by=bertil, accept=True)
    services.referral_decide(referral=referral, by=ulla, accept=True, reason="Välkommen")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.decided_at is not None
    interest.refresh_from_db()
    assert interest.status == InterestStatus.REFERRED
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"participation.referral.create", "participation.referral.decide"} <= actions


def test_no_referral_without_consent_to_share(
    register: RegisterFn, bertil: User, make_study: StudyMaker
) -> None:
    site = make_study("Diabetesstudien", sites=["0380"]).sites.get()
    interest = register(share=False)
    with pytest.raises(PermissionDenied) as caught:
        services.referral_create(interest=interest, site=site, by=bertil)
    assert caught.value.code == "no_referral_consent"


def test_retention_warns_then_deletes_and_is_idempotent(register: RegisterFn) -> None:
    start = datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        stale = register()
    with time_machine.travel(start + datetime.timedelta(days=300), tick=False):
        active = register(email="active@test.example")
    warn_time = start + datetime.timedelta(days=24 * 30 + 1)
    with time_machine.travel(warn_time, tick=False):
        report = services.interests_purge_expired()
        assert (report.warned, report.deleted) == (1, 0)
        assert services.interests_purge_expired().warned == 0
    with time_machine.travel(warn_time + datetime.timedelta(days=31), tick=False):
        assert services.interests_purge_expired().deleted == 1
        again = services.interests_purge_expired()
        assert (again.warned, again.deleted, again.unconfirmed_deleted) == (0, 0, 0)
    assert not ExpressionOfInterest.objects.filter(pk=stale.pk).exists()
    assert ExpressionOfInterest.objects.filter(pk=active.pk).exists()


def test_purge_command_reports_counts(register: RegisterFn) -> None:
    with time_machine.travel(timezone.now() - datetime.timedelta(days=40), tick=False):
        register(confirmed=False)
    from io import StringIO

    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "unconfirmed deleted 1" in out.getvalue()
    call_command("purge_expired", stdout=out)
    assert out.getvalue().count("unconfirmed deleted 0") == 1


def test_phone_only_registration_is_confirmed_by_the_coordinators_call(
    register: RegisterFn, bertil: User
) -> None:
    interest = register(email="", confirmed=False)
    assert interests_visible_to(bertil).filter(pk=interest.pk).exists()
    services.contact_log_add(interest=interest, by=bertil, channel=ContactChannel.PHONE)
    interest.refresh_from_db()
    assert interest.confirmed_at is not None
