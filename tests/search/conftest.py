"""Published studies for the search and portal tests, written through the registry's import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from studienav.registry.models import Study, StudyState
from studienav.registry.records import record_apply
from studienav.registry.schema import StudyRecord

StudyMaker = Callable[..., Study]

UPPSALA_SITE: dict[str, Any] = {
    "organisation": "Akademiska sjukhuset",
    "city": "Uppsala",
    "region": "03",
    "latitude": 59.8498,
    "longitude": 17.6390,
    "recruitment_status": "recruiting",
    "contact_name": "Anna Berg",
    "contact_email": "anna@test.example",
}
GAVLE_SITE: dict[str, Any] = {
    "organisation": "Gävle sjukhus",
    "city": "Gävle",
    "region": "21",
    "latitude": 60.6749,
    "longitude": 17.1413,
    "recruitment_status": "recruiting",
}
OREBRO_SITE: dict[str, Any] = {
    "organisation": "Universitetssjukhuset Örebro",
    "city": "Örebro",
    "region": "18",
    "latitude": 59.2741,
    "longitude": 15.2066,
    "recruitment_status": "recruiting",
}


def study_record(**fields: Any) -> StudyRecord:
    data: dict[str, Any] = {
        "public_title": "En studie",
        "study_type": "other_interventional",
        "sponsor_type": "academic",
        "overall_status": "recruiting",
        "sites": [UPPSALA_SITE],
    }
    data.update(fields)
    return StudyRecord.model_validate(data)


@pytest.fixture
def make_study(db: None) -> StudyMaker:
    """A study in the registry, published unless another state is given."""

    def make(state: str = StudyState.PUBLISHED, **fields: Any) -> Study:
        return record_apply(
            record=study_record(state=state, **fields), by=None, reason="test"
        ).study

    return make
