"""Targets set by the node office, and key figures: actual against target, trend, last month."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from studienav.core.errors import PermissionDenied, ValidationFailed
from studienav.core.models import AuditEvent, User
from studienav.stats.keyfigures import KeyFigure, RegionKeyFigures, key_figures
from studienav.stats.models import Target
from studienav.stats.refresh import facts_refresh
from studienav.stats.services import target_set
from tests.stats.conftest import TODAY, MakeStudy, add_site, region

pytestmark = pytest.mark.django_db


def figure(blocks: list[RegionKeyFigures], name: str | None, key: str) -> KeyFigure:
    """The key figure of the region called `name`, or of the node's total for None."""
    block = next(b for b in blocks if (b.region.short_name if b.region else None) == name)
    return next(f for f in block.figures if f.key == key)


def test_node_office_sets_targets_and_the_change_is_audited(cecilia: User) -> None:
    target = target_set(
        region=region("03"), year=2025, by=cecilia, new_studies=10, participants=200
    )
    target_set(region=region("03"), year=2025, by=cecilia, new_studies=12)
    target.refresh_from_db()
    assert (target.new_studies, target.participants) == (12, 200)
    assert Target.objects.count() == 1
    assert AuditEvent.objects.filter(action="stats.target_set").count() == 2


def test_coordinator_cannot_set_targets(bertil: User) -> None:
    with pytest.raises(PermissionDenied):
        target_set(region=region("18"), year=2025, by=bertil, new_studies=3)
    assert not Target.objects.exists()


def test_share_above_hundred_percent_is_refused_with_the_field(cecilia: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        target_set(region=region("03"), year=2025, by=cecilia, status_check_share=150)
    assert error.value.field == "status_check_share"
    assert not Target.objects.exists()


def test_key_figures_against_targets_with_trend_and_change_since_last_month(
    make_study: MakeStudy, cecilia: User
) -> None:
    target_set(
        region=region("03"),
        year=2025,
        by=cecilia,
        new_studies=4,
        industry_studies=1,
        participants=50,
        status_check_share=80,
    )
    recent = make_study(sites=[("03", date(2025, 6, 1))], sponsor_type="industry")
    recent.status_confirmed_at = timezone.now() - timedelta(days=10)
    recent.save()
    make_study(sites=[("03", date(2025, 2, 1)), ("18", date(2025, 3, 1))])
    make_study(sites=[("03", date(2024, 2, 1))])
    old = make_study()
    add_site(
        old,
        "03",
        opened=date(2023, 1, 1),
        reports=[(date(2024, 12, 1), 10), (date(2025, 3, 1), 30), (date(2025, 6, 1), 28)],
    )
    facts_refresh(full=True)
    blocks = key_figures(year=2025, today=TODAY, regions=[region("03"), region("18")])
    new = figure(blocks, "Uppsala", "new_studies")
    assert (new.actual, new.target, new.share_of_target) == (2, 4, 50)
    assert new.change == 1  # the study that opened on 1 June
    assert new.trend[-2:] == [(2024, 1), (2025, 2)]
    industry = figure(blocks, "Uppsala", "industry_studies")
    assert (industry.actual, industry.met) == (1, True)
    participants = figure(blocks, "Uppsala", "participants")
    assert (participants.actual, participants.change) == (18, -2)
    share = figure(blocks, "Uppsala", "status_check_share")
    assert share.actual == 25  # one of the four ongoing studies was checked
    node_new = figure(blocks, None, "new_studies")
    assert (node_new.actual, node_new.target) == (2, 4)
    assert figure(blocks, "Örebro län", "new_studies").target is None


def test_key_figures_are_those_of_the_last_refresh(make_study: MakeStudy) -> None:
    make_study(sites=[("03", date(2025, 6, 1))])
    facts_refresh(full=True)
    regions = [region("03")]
    first = figure(key_figures(year=2025, today=TODAY, regions=regions), "Uppsala", "new_studies")
    make_study(sites=[("03", date(2025, 5, 1))])
    again = figure(key_figures(year=2025, today=TODAY, regions=regions), "Uppsala", "new_studies")
    assert first.actual == again.actual == 1  # the facts are as of the refresh
    facts_refresh(full=True)
    after = figure(key_figures(year=2025, today=TODAY, regions=regions), "Uppsala", "new_studies")
    assert after.actual == 2


def test_a_regional_coordinators_node_total_is_the_whole_nodes(
    make_study: MakeStudy, cecilia: User
) -> None:
    target_set(region=region("03"), year=2025, by=cecilia, participants=50)
    target_set(region=region("18"), year=2025, by=cecilia, participants=70)
    uppsala = make_study()
    add_site(uppsala, "03", opened=date(2025, 1, 1), reports=[(date(2025, 3, 1), 10)])
    orebro = make_study()
    add_site(orebro, "18", opened=date(2025, 1, 1), reports=[(date(2025, 3, 1), 25)])
    facts_refresh(full=True)
    blocks = key_figures(year=2025, today=TODAY, regions=[region("18")])
    assert [b.region.short_name if b.region else None for b in blocks] == ["Örebro län", None]
    own = figure(blocks, "Örebro län", "participants")
    node = figure(blocks, None, "participants")
    assert (own.actual, own.target) == (25, 70)
    assert (node.actual, node.target) == (35, 120)
