"""Demo data: a year of requests in every state, with the patella fracture example."""

from __future__ import annotations

import random
from io import StringIO

from studienav.core import demo as core_demo
from studienav.disclosure import demo
from studienav.disclosure.models import CaseState, Delivery, DisclosureRequest, RegionCase


def test_demo_requests_cover_a_year_in_every_state_and_the_patella_example(
    db: None, settings: object, tmp_path: object
) -> None:
    core_demo.demo_data_load(rng=random.Random(1), options={"quiet": True}, stdout=StringIO())
    demo.demo_data_load(rng=random.Random(1), options={}, stdout=StringIO())
    assert DisclosureRequest.objects.filter(submitted_at__year=2025).count() > 30
    assert set(RegionCase.objects.values_list("state", flat=True)) == set(CaseState.values)
    assert DisclosureRequest.objects.filter(state="draft").exists()
    patella = DisclosureRequest.objects.get(title=demo.PATELLA_TITLE)
    assert patella.cases.count() == 7
    images = sum(len(d.manifest) for d in Delivery.objects.filter(case__request=patella))
    assert images == 9000
    count = DisclosureRequest.objects.count()
    demo.demo_data_load(rng=random.Random(2), options={}, stdout=StringIO())
    assert DisclosureRequest.objects.count() == count
