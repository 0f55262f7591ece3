"""Demo data: a realistic year of study requests in every state, loaded once."""

from __future__ import annotations

import random
from io import StringIO

from studienav.core import demo as core_demo
from studienav.feasibility import demo, figures
from studienav.feasibility.models import Answer, RequestState, StudyRequest


def test_demo_requests_cover_a_year_in_every_state(db: None) -> None:
    core_demo.demo_data_load(rng=random.Random(1), options={"quiet": True}, stdout=StringIO())
    demo.demo_data_load(rng=random.Random(1), options={}, stdout=StringIO())
    assert StudyRequest.objects.filter(received_at__year=2025).count() == 90
    assert set(StudyRequest.objects.values_list("state", flat=True)) == set(RequestState.values)
    assert Answer.objects.filter(is_interested=False).exclude(decline_reason="").exists()
    assert figures.share_forwarded(2025)["share"] > 0.85
    count = StudyRequest.objects.count()
    demo.demo_data_load(rng=random.Random(2), options={}, stdout=StringIO())
    assert StudyRequest.objects.count() == count
