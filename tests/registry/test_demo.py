"""`studienav demo-data`: the realistic studies, the synthetic generator, the vocabulary."""

from __future__ import annotations

import random
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from studienav.core.demo import REGION_SLUGS, organisations_load
from studienav.core.models import AuditEvent, Organisation
from studienav.registry import identifiers as ids
from studienav.registry.demo import SYNTHETIC_SOURCE, conditions, pools_load, study_draw
from studienav.registry.icd10 import icd10_chapter, icd10_normalise
from studienav.registry.models import (
    ChangeRequest,
    EnrolmentReport,
    Site,
    Study,
    StudyIdentifier,
    StudyState,
    StudyType,
    StudyVersion,
)
from studienav.registry.quality import ERROR, quality_issues
from studienav.registry.selectors import STATUS_CHECK_DAYS

pytestmark = pytest.mark.django_db


# Development settings; a fast hasher for the demo people's passwords.
development = override_settings(
    DEBUG=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
)


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo_data", "--quiet", *args, stdout=out)
    return out.getvalue()


@development
def test_demo_studies_cover_every_state_and_load_twice_without_duplicates() -> None:
    _demo()
    counts = {
        "studies": Study.objects.count(),
        "sites": Site.objects.count(),
        "identifiers": StudyIdentifier.objects.count(),
        "versions": StudyVersion.objects.count(),
        "reports": EnrolmentReport.objects.count(),
        "changes": ChangeRequest.objects.count(),
        "events": AuditEvent.objects.filter(object_type__startswith="registry.").count(),
    }
    _demo()
    assert counts["studies"] == 120
    assert counts == {
        "studies": Study.objects.count(),
        "sites": Site.objects.count(),
        "identifiers": StudyIdentifier.objects.count(),
        "versions": StudyVersion.objects.count(),
        "reports": EnrolmentReport.objects.count(),
        "changes": ChangeRequest.objects.count(),
        "events": AuditEvent.objects.filter(object_type__startswith="registry.").count(),
    }
    studies = Study.objects.all()
    assert set(studies.values_list("state", flat=True)) == set(StudyState.values)
    assert set(studies.values_list("study_type", flat=True)) == set(StudyType.values)
    assert set(Site.objects.values_list("region__code", flat=True)) >= set(REGION_SLUGS)
    assert Site.objects.exclude(country="SE").exists()
    assert ChangeRequest.objects.filter(status="pending").exists()
    assert EnrolmentReport.objects.exists()
    assert StudyVersion.objects.filter(number__gt=1).exists()
    assert not Organisation.objects.filter(needs_review=True).exists()
    created = AuditEvent.objects.filter(action="study.import_create").count()
    assert created == studies.count()
    for identifier in StudyIdentifier.objects.all():
        assert ids.validate(identifier.scheme, identifier.value) == identifier.value
    published = studies.filter(state=StudyState.PUBLISHED).first()
    assert published is not None
    assert not [i for i in quality_issues(published) if i.severity == ERROR]


@development
def test_generator_makes_n_studies_with_sites_in_all_seven_regions() -> None:
    _demo("--studies", "200")
    synthetic = Study.objects.filter(source=SYNTHETIC_SOURCE)
    assert synthetic.count() == 200
    regions = set(Site.objects.filter(study__in=synthetic).values_list("region__code", flat=True))
    assert regions >= set(REGION_SLUGS)
    assert Site.objects.filter(study__in=synthetic).exclude(country="SE").exists()
    assert EnrolmentReport.objects.filter(site__study__in=synthetic).exists()
    years = {d.year for d in synthetic.values_list("planned_start_date", flat=True) if d}
    assert min(years) >= 2016 and max(years) <= 2026
    assert len(set(synthetic.values_list("state", flat=True))) >= 5
    assert AuditEvent.objects.filter(action="study.generate").count() == 1
    for identifier in StudyIdentifier.objects.filter(study__in=synthetic)[:100]:
        assert ids.validate(identifier.scheme, identifier.value) == identifier.value
    study = synthetic.order_by("id").first()
    assert study is not None and study.public_title and study.summary_sv and study.summary_en
    assert study.conditions.exists() and study.sites.exists()
    stale = timezone.now() - timedelta(days=STATUS_CHECK_DAYS)
    assert synthetic.filter(state="published", status_confirmed_at__lt=stale).exists()
    for generated in synthetic.order_by("id")[:20]:
        assert [i for i in quality_issues(generated) if i.severity == ERROR] == []


@development
def test_generator_again_adds_new_studies_with_new_identifiers() -> None:
    _demo("--studies", "30")
    _demo("--studies", "30")
    assert Study.objects.filter(source=SYNTHETIC_SOURCE).count() == 60
    values = list(StudyIdentifier.objects.values_list("scheme", "value"))
    assert len(values) == len(set(values))


def test_generator_draws_the_same_studies_for_a_seed() -> None:
    organisations_load()
    pools = pools_load()
    today = date(2025, 6, 15)

    def draw(seed: str) -> list[tuple[Any, ...]]:
        rng = random.Random(seed)
        drafts = [study_draw(rng, pools, seq, today) for seq in range(25)]
        return [
            (d.fields["public_title"], d.fields["planned_start_date"], d.identifiers)
            for d in drafts
        ]

    assert draw("registry-synthetic-7") == draw("registry-synthetic-7")
    assert draw("registry-synthetic-7") != draw("registry-synthetic-8")


def test_demo_data_refuses_when_debug_is_off() -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        _demo("--studies", "5")
    assert not Study.objects.exists()


def test_condition_vocabulary_has_valid_codes_over_every_area() -> None:
    vocabulary = conditions()
    assert len(vocabulary) >= 200
    assert len({c.icd10 for c in vocabulary}) == len(vocabulary)
    for condition in vocabulary:
        assert icd10_normalise(condition.icd10) == condition.icd10
        assert condition.name_sv and condition.name_en
    chapters = {icd10_chapter(c.icd10) for c in vocabulary}
    assert len(chapters) >= 20
    by_code = {c.icd10: c for c in vocabulary}
    assert by_code["C50"].name_sv == "bröstcancer"
    assert "mammary cancer" in by_code["C50"].synonyms_en
    assert "slaganfall" in by_code["I63"].synonyms_sv
