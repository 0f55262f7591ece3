"""The key figures on a small known set, and demo data loaded twice."""

from __future__ import annotations

import datetime
import io
import random

import pytest
import time_machine

from studienav.core.models import User
from studienav.participation import figures, services
from studienav.participation.demo import demo_data_load
from studienav.participation.models import (
    ContactChannel,
    ExpressionOfInterest,
    InterestKind,
    InterestStatus,
)
from studienav.stats.framework import Filters, figure_get
from tests.participation.conftest import RegisterFn, StudyMaker

pytestmark = pytest.mark.django_db


def test_figures_count_what_their_definitions_say(
    register: RegisterFn, bertil: User, ulla: User, make_study: StudyMaker
) -> None:
    start = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        first = register()
        register(email="b@test.example", confirmed=False)
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):
        services.contact_log_add(
            interest=first, by=bertil, channel=ContactChannel.PHONE, status=InterestStatus.ENROLLED
        )
        site = make_study("Uppsalastudien", sites=["0380"]).sites.get()
        services.referral_create(interest=first, site=site, by=bertil)
    rows = figures.registrations_per_region_and_month()
    assert rows == [
        {
            "region": "18",
            "region_name": rows[0]["region_name"],
            "month": "2026-03",
            "registrations": 2,
        }
    ]
    assert figures.share_confirmed()["share"] == 0.5
    assert figures.time_to_first_contact() == {"contacted": 1, "median_days": 2.0}
    conversions = figures.conversions_to_enrolment()
    assert (conversions["confirmed"], conversions["enrolled"], conversions["share"]) == (1, 1, 1.0)
    assert conversions["per_status"] == {InterestStatus.REFERRED: 1}
    assert figures.referrals_between_regions() == [
        {"from_region": "18", "to_region": "03", "status": "pending", "referrals": 1}
    ]
    figure = figure_get("interest-registrations")
    assert figure is not None
    table = figure.query(Filters(year_from=2025, year_to=2026))
    orebro = next(row for row in table.rows if row.key == "18")
    assert orebro.values == [0, 2]
    assert table.total is not None and table.total.values == [0, 2]


def test_demo_data_covers_every_state_and_region_and_loads_once(cecilia: User) -> None:
    out = io.StringIO()
    demo_data_load(rng=random.Random(1), options={}, stdout=out)
    count = ExpressionOfInterest.objects.count()
    assert count >= 24
    assert set(ExpressionOfInterest.objects.values_list("status", flat=True)) == set(
        InterestStatus.values
    )
    assert ExpressionOfInterest.objects.values("region").distinct().count() == 7
    assert ExpressionOfInterest.objects.filter(kind=InterestKind.GENERAL).exists()
    demo_data_load(rng=random.Random(1), options={}, stdout=out)
    assert ExpressionOfInterest.objects.count() == count
