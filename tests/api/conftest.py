"""Studies for the API tests, written through the registry's one import service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from studienav.registry.models import Study, StudyState
from studienav.registry.records import record_apply
from studienav.registry.schema import StudyRecord

StudyMaker = Callable[..., Study]


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> Iterator[None]:
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def _record(**fields: Any) -> StudyRecord:
    data: dict[str, Any] = {
        "public_title": "Ny behandling vid diabetes typ 2",
        "public_title_en": "New treatment for type 2 diabetes",
        "study_type": "drug",
        "sponsor_type": "academic",
        "primary_sponsor_name": "Uppsala universitet",
        "overall_status": "recruiting",
        "phase": "2",
        "min_age_years": 18,
        "max_age_years": 75,
        "target_enrolment": 120,
        "conditions": [{"name": "Diabetes mellitus typ 2", "icd10": "E11"}],
        "interventions": [{"type": "drug", "name": "Metformin"}],
        "sites": [
            {
                "organisation": "Akademiska sjukhuset",
                "city": "Uppsala",
                "region": "03",
                "latitude": 59.85,
                "longitude": 17.64,
                "recruitment_status": "recruiting",
                "contact_name": "Anna Berg",
                "contact_email": "anna@test.example",
            }
        ],
    }
    data.update(fields)
    return StudyRecord.model_validate(data)


@pytest.fixture
def make_study(db: None) -> StudyMaker:
    """A study in the registry, published unless another state is given."""

    def make(state: str = StudyState.PUBLISHED, **fields: Any) -> Study:
        record = _record(state=state, **fields)
        return record_apply(record=record, by=None, reason="test").study

    return make
