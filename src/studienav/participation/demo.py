"""Demo registrations of interest across the node's regions, in every state, with a referral."""

from __future__ import annotations

import datetime
import json
import random
from typing import Any, TextIO

from django.utils import timezone

from studienav.core.audit import audit_record
from studienav.core.models import Municipality, Role, User
from studienav.core.selectors import node_regions
from studienav.participation.fields import email_hash
from studienav.participation.matching import recruiting_studies
from studienav.participation.models import (
    Consent,
    ContactChannel,
    ContactLogEntry,
    ExpressionOfInterest,
    FollowUpTask,
    InterestKind,
    InterestStatus,
    PersonSex,
    Referral,
)
from studienav.participation.services import SHARED_FIELDS, consent_text_current

PER_REGION = 6
FIRST_NAMES = ["Astrid", "Bo", "Elsa", "Gunnar", "Ingrid", "Karl", "Linnea", "Nils", "Saga", "Tor"]
SURNAMES = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"]
CONDITIONS = [
    ["typ 2-diabetes"],
    ["astma"],
    ["bröstcancer"],
    ["depression", "ångest"],
    ["förmaksflimmer"],
    ["reumatoid artrit"],
    ["multipel skleros"],
    [],
]


def _demo_email(number: int) -> str:
    return f"deltagare{number}@demo.example"


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """A few dozen registrations; does nothing once any registration exists (idempotent)."""
    if ExpressionOfInterest.objects.exists():
        return
    regions = list(node_regions())
    studies = list(recruiting_studies()[:20])
    statuses = list(InterestStatus.values)
    now = timezone.now()
    created = 0
    number = 0
    for region in regions:
        municipalities = list(Municipality.objects.filter(region=region))
        coordinator = User.objects.filter(
            roles__role=Role.NODE_COORDINATOR, roles__region=region
        ).first()
        for index in range(PER_REGION):
            number += 1
            if ExpressionOfInterest.objects.filter(
                email_hash=email_hash(_demo_email(number))
            ).exists():
                continue
            status = statuses[(number - 1) % len(statuses)]
            study = studies[number % len(studies)] if studies and index % 3 == 2 else None
            kind = InterestKind.STUDY if study else InterestKind.GENERAL
            registered = now - datetime.timedelta(days=rng.randint(3, 420))
            interest = ExpressionOfInterest.objects.create(
                kind=kind,
                study=study,
                region=region,
                status=status,
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                email=_demo_email(number),
                email_hash=email_hash(_demo_email(number)),
                phone=f"070-{rng.randint(1000000, 9999999)}",
                year_of_birth=rng.randint(1940, 2004),
                sex=rng.choice([PersonSex.FEMALE, PersonSex.MALE, ""]),
                municipality=rng.choice(municipalities) if municipalities else None,
                conditions=_demo_conditions(studies, number),
                created_at=registered,
                confirmed_at=registered + datetime.timedelta(hours=2),
                last_activity_at=registered + datetime.timedelta(days=2),
                first_contact_at=None
                if status == InterestStatus.NEW
                else registered + datetime.timedelta(days=rng.randint(1, 20)),
                enrolled_at=registered + datetime.timedelta(days=40)
                if status == InterestStatus.ENROLLED
                else None,
            )
            if kind == InterestKind.GENERAL and index == 0:
                interest.regions_of_interest.set([region])
            Consent.objects.create(
                interest=interest,
                text=consent_text_current(kind=kind, language="sv"),
                given_at=registered,
                confirmed_at=interest.confirmed_at,
                notify_new_studies=kind == InterestKind.GENERAL and index % 2 == 0,
                share_for_referral=index % 2 == 1,
            )
            if status not in (InterestStatus.NEW, InterestStatus.WITHDRAWN):
                ContactLogEntry.objects.create(
                    interest=interest,
                    by=coordinator,
                    channel=ContactChannel.PHONE,
                    note="Demo: talked about taking part.",
                    status_after=status,
                    at=interest.first_contact_at or registered,
                )
            if status == InterestStatus.CONTACTED:
                FollowUpTask.objects.create(
                    interest=interest,
                    due_on=timezone.localdate() + datetime.timedelta(days=index),
                    description="Demo: call back",
                    created_by=coordinator,
                )
            if status == InterestStatus.WITHDRAWN:
                _erase_demo(interest, now)
            audit_record(
                actor=None,
                action="participation.interest.register",
                obj=interest,
                reason="demo data",
            )
            created += 1
    referrals = _demo_referral(studies)
    if not options.get("quiet"):
        stdout.write(f"Demo registrations of interest: created {created}, referrals {referrals}.\n")


def _demo_conditions(studies: list[Any], number: int) -> list[str]:
    """Half the people name a condition of a recruiting study, so that matching finds some."""
    if studies and number % 2:
        names = [c.name for c in studies[number % len(studies)].conditions.all()]
        if names:
            return names[:1]
    return CONDITIONS[number % len(CONDITIONS)]


def _erase_demo(interest: ExpressionOfInterest, now: datetime.datetime) -> None:
    for name in ("name", "email", "phone", "identity_number", "free_text", "email_hash"):
        setattr(interest, name, "")
    interest.year_of_birth = None
    interest.sex = ""
    interest.municipality = None
    interest.conditions = []
    interest.withdrawn_at = interest.erased_at = now
    interest.save()
    interest.regions_of_interest.clear()
    interest.consents.update(withdrawn_at=now)


def _demo_referral(studies: list[Any]) -> int:
    """One referral to a recruiting site in another region, if the demo studies have one."""
    if Referral.objects.exists():
        return 0
    for interest in ExpressionOfInterest.objects.filter(
        status=InterestStatus.REFERRED, erased_at__isnull=True, consents__share_for_referral=True
    ):
        for study in studies:
            site = next(
                (
                    s
                    for s in study.sites.all()
                    if s.is_recruiting and s.region_id and s.region_id != interest.region_id
                ),
                None,
            )
            if site is None:
                continue
            shared = {name: getattr(interest, name) for name in SHARED_FIELDS}
            referral = Referral.objects.create(
                interest=interest,
                site=site,
                from_region=interest.region,
                to_region=site.region,
                shared_data=json.dumps(shared, ensure_ascii=False),
            )
            audit_record(
                actor=None,
                action="participation.referral.create",
                obj=referral,
                changes={"interest": interest.pk, "site": site.pk},
                reason="demo data",
            )
            return 1
    return 0
