"""The demo data leaves the statistics ready to show, except for the scale generator."""

from __future__ import annotations

import random
from io import StringIO

import pytest

from studienav.registry.records import record_apply
from studienav.registry.schema import StudyRecord
from studienav.stats.demo import demo_data_load
from studienav.stats.models import StudyFact

pytestmark = pytest.mark.django_db


def _published_study() -> None:
    record = StudyRecord.model_validate(
        {
            "public_title": "Träning vid hjärtsvikt",
            "study_type": "other_interventional",
            "sponsor_type": "academic",
            "identifiers": [{"scheme": "nct", "value": "NCT01010101"}],
            "actual_start_date": "2024-03-01",
            "sites": [
                {"organisation": "Falu lasarett", "city": "Falun", "start_date": "2024-03-01"}
            ],
        }
    )
    record_apply(record=record, by=None, reason="test", publish=True)


def test_demo_data_refreshes_the_facts() -> None:
    _published_study()
    demo_data_load(rng=random.Random(1), options={}, stdout=StringIO())
    assert StudyFact.objects.exists()


def test_scale_generator_leaves_the_refresh_to_its_benchmark() -> None:
    _published_study()
    demo_data_load(rng=random.Random(1), options={"studies": 10}, stdout=StringIO())
    assert not StudyFact.objects.exists()
