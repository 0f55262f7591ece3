"""Demo data: a year of courses with about 230 GCP participants, networks and a library."""

from __future__ import annotations

import random
from io import StringIO
from typing import Any

from studienav.core import demo as core_demo
from studienav.network import demo
from studienav.network.figures import participants_table
from studienav.network.models import Certificate, Document, Meeting, Network, Registration
from studienav.network.report import activity_report
from studienav.stats.framework import Filters


def test_demo_year_has_gcp_courses_networks_and_documents(db: None, time_machine: Any) -> None:
    time_machine.move_to("2026-01-15 10:00+01:00", tick=False)
    core_demo.demo_data_load(rng=random.Random(1), options={"quiet": True}, stdout=StringIO())
    demo.demo_data_load(rng=random.Random(1), options={"quiet": True}, stdout=StringIO())
    table = participants_table(Filters(year_from=2025, year_to=2025))
    gcp = sum(row.values[0] for row in table.rows if row.key.startswith("gcp"))
    assert gcp == 230
    assert Registration.objects.filter(moved_up_at__isnull=False).exists()
    assert Registration.objects.filter(state="waiting").exists()
    assert Certificate.objects.filter(valid_until__isnull=False).exists()
    assert Network.objects.count() == 6
    assert Meeting.objects.filter(actions__isnull=False).exists()
    assert set(Document.objects.values_list("language", flat=True)) == {"sv", "en"}
    assert activity_report(year=2025).sections
    count = Registration.objects.count()
    demo.demo_data_load(rng=random.Random(2), options={}, stdout=StringIO())
    assert Registration.objects.count() == count
