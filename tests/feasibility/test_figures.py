"""Figures on hand-checked data, with working days over Easter, Midsummer and Christmas."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from studienav.core.models import Organisation, Region, User
from studienav.feasibility import figures
from studienav.feasibility.models import (
    Answer,
    ClarificationPause,
    Recipient,
    RegionPart,
    RequestKind,
    RequestState,
    StudyRequest,
)
from studienav.stats.framework import Filters, figure_get
from tests.factories import OrganisationFactory


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Maundy Thursday 2025-04-17 -> Tuesday 22: Good Friday, weekend, Easter Monday off.
        (date(2025, 4, 17), date(2025, 4, 22), 1),
        # Thursday 2025-06-19 -> Monday 23: Midsummer Eve (Fri 20) and the weekend off.
        (date(2025, 6, 19), date(2025, 6, 23), 1),
        # Monday 2025-12-22 -> Friday 2026-01-02: 23 works; 24, 25, 26, 31, Jan 1 off; Jan 2 works.
        (date(2025, 12, 22), date(2026, 1, 2), 4),
        # Friday 2026-01-02 -> Wednesday 7: Epiphany (Tue 6) off.
        (date(2026, 1, 2), date(2026, 1, 7), 2),
        # Ascension Day 2025-05-29 (Thursday) and National Day 2025-06-06 (Friday) off;
        # Whit Monday (2025-06-09) is a working day in Sweden.
        (date(2025, 5, 28), date(2025, 6, 9), 6),
        (date(2025, 3, 3), date(2025, 3, 3), 0),
    ],
)
def test_working_days_respect_swedish_holidays(start: date, end: date, expected: int) -> None:
    assert figures.working_days_between(start, end) == expected


def test_percentile_is_nearest_rank() -> None:
    assert figures.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert figures.percentile([5], 0.9) == 5
    assert figures.percentile([], 0.9) is None


def _at(day: str, hour: int = 10) -> datetime:
    # 10:00 UTC is 11:00 or 12:00 in Stockholm: the same calendar day.
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _request(reference: str, sponsor: Organisation, received: str, **fields: Any) -> StudyRequest:
    return StudyRequest.objects.create(
        reference=reference,
        kind=fields.pop("kind", "site"),
        channel="email",
        sponsor_organisation=sponsor,
        contact_name="C",
        contact_email="c@test.example",
        title="T",
        therapeutic_area="IX",
        indication="I",
        study_type="drug",
        phase="3",
        inclusion_criteria="x",
        answer_deadline=fields.pop("answer_deadline", date(2025, 5, 30)),
        received_at=_at(received),
        **fields,
    )


@pytest.fixture
def year_2025(cecilia: User, uppsala: Region, orebro: Region) -> dict[str, object]:
    """Four requests of 2025 and one of 2024, worked out by hand in the tests below."""
    sponsor = OrganisationFactory.create(name="Bolag AB", type="company")
    clinic_u = OrganisationFactory.create(name="Kardiologen Uppsala", region=uppsala)
    clinic_o = OrganisationFactory.create(name="Kardiologen Örebro", region=orebro)
    # A: received Maundy Thursday, forwarded Tuesday after Easter (1 working day);
    #    answered 2025-05-09 before its deadline; led to a study.
    a = _request(
        "2025-001",
        sponsor,
        "2025-04-17",
        state=RequestState.ANSWERED,
        forwarded_at=_at("2025-04-22"),
        answer_sent_at=_at("2025-05-09"),
        compiled_answer="x",
        outcome="study_started",
    )
    # B: received Thursday 2025-06-12, clarification asked Friday 13 and answered Tuesday 17
    #    (2 working days paused), forwarded Thursday 2025-06-19 (5 working days - 2 = 3);
    #    answered after its deadline, no outcome.
    b = _request(
        "2025-002",
        sponsor,
        "2025-06-12",
        kind="country",
        state=RequestState.ANSWERED,
        forwarded_at=_at("2025-06-19"),
        answer_sent_at=_at("2025-07-01"),
        compiled_answer="x",
        answer_deadline=date(2025, 6, 30),
    )
    ClarificationPause.objects.create(
        request=b,
        question="?",
        asked_by=cecilia,
        asked_at=_at("2025-06-13"),
        resumed_at=_at("2025-06-17"),
        clarification="!",
    )
    # C: received 2025-12-22, forwarded 2026-01-02 (4 working days), not answered yet.
    c = _request(
        "2025-003",
        sponsor,
        "2025-12-22",
        state=RequestState.FORWARDED,
        forwarded_at=_at("2026-01-02"),
        answer_deadline=date(2026, 1, 20),
    )
    # D: not forwarded. E: 2024, ignored for 2025.
    _request("2025-004", sponsor, "2025-09-01", state=RequestState.NOT_FORWARDED)
    _request("2024-001", sponsor, "2024-09-02")
    # Recipients: Uppsala asked 3 (2 answered: 1 interested), Örebro asked 1 (no answer).
    for request, region, clinic, answered, interested in [
        (a, uppsala, clinic_u, True, True),
        (b, uppsala, clinic_u, True, False),
        (c, uppsala, clinic_u, False, False),
        (c, orebro, clinic_o, False, False),
    ]:
        part, _ = RegionPart.objects.get_or_create(
            request=request,
            region=region,
            defaults={
                "forwarded_by": cecilia,
                "compiled_at": request.answer_sent_at,
                "sent_at": request.answer_sent_at,
            },
        )
        recipient = Recipient.objects.create(
            part=part,
            organisation=clinic,
            name=clinic.name,
            email=f"r{part.pk}@test.example",
            selected_by=cecilia,
            link_nonce="n",
        )
        if answered:
            Answer.objects.create(
                recipient=recipient,
                is_interested=interested,
                channel="link",
                decline_reason="" if interested else "no_capacity",
            )
    return {"a": a, "b": b, "c": c}


def test_requests_per_year_and_kind(year_2025: dict[str, object]) -> None:
    rows = figures.requests_per_year_and_kind()
    assert [(r["year"], r["kind"], r["count"]) for r in rows] == [
        (2024, "site", 1),
        (2025, "country", 1),
        (2025, "site", 3),
    ]
    assert rows[0]["label"] == RequestKind.SITE.label


def test_requests_received_feed_the_statistics_framework(year_2025: dict[str, object]) -> None:
    figure = figure_get("study-requests-received")
    assert figure is not None
    table = figure.query(Filters(year_from=2024, year_to=2025, by="total"))
    assert [(row.key, row.values) for row in table.rows] == [("country", [0, 1]), ("site", [1, 3])]
    assert table.total is not None and table.total.values == [1, 4]


def test_share_forwarded(year_2025: dict[str, object]) -> None:
    assert figures.share_forwarded(2025) == {"decided": 4, "forwarded": 3, "share": 0.75}


def test_time_to_forward_in_working_days_minus_pauses(year_2025: dict[str, object]) -> None:
    # A 1, B 3, C 4: median 3, 90th percentile (nearest rank 3 of 3) 4.
    assert figures.time_to_forward(2025) == {"count": 3, "median": 3, "p90": 4}


def test_time_to_compiled_answer(year_2025: dict[str, object]) -> None:
    # A: 2025-04-17 -> 05-09: 13 working days (Good Friday, Easter Monday, May 1 off).
    # B: 2025-06-12 -> 07-01: 12 working days (Midsummer Eve off) minus 2 paused = 10.
    assert figures.time_to_compiled_answer(2025) == {"count": 2, "median": 11.5, "p90": 13}


def test_share_answered_by_deadline(year_2025: dict[str, object]) -> None:
    assert figures.share_answered_by_deadline(2025) == {
        "answered": 2,
        "on_time": 1,
        "share": 0.5,
        "complete_on_time": 1,
        "with_late_regions": 0,
    }
    assert figures.regions_answered_by_deadline(2025) == {"regions": 2, "on_time": 1, "share": 0.5}


def test_response_rates_per_region_and_clinic(year_2025: dict[str, object]) -> None:
    regions = figures.response_rate_per_region(2025)
    assert [(r["name"], r["asked"], r["answered"]) for r in regions] == [
        ("Uppsala", 3, 2),
        ("Örebro län", 1, 0),
    ]
    clinics = {r["name"]: r["rate"] for r in figures.response_rate_per_clinic(2025)}
    assert clinics == {"Kardiologen Uppsala": 2 / 3, "Kardiologen Örebro": 0.0}


def test_share_interested_and_led_to_study(year_2025: dict[str, object]) -> None:
    assert figures.share_interested(2025) == {"answers": 2, "interested": 1, "share": 0.5}
    assert figures.requests_leading_to_study(2025) == {
        "answered": 2,
        "led_to_study": 1,
        "linked": 0,
        "share": 0.5,
    }


@pytest.fixture
def late_region(
    year_2025: dict[str, object], cecilia: User, uppsala: Region, orebro: Region
) -> None:
    """F: received Monday 2025-10-06, forwarded to Uppsala and Örebro, deadline Friday 10-24.
    The answer went Thursday 10-23 with Uppsala only; Örebro had no answer by the deadline,
    its clinic answered on 10-27 and the supplement went on 10-29."""
    f = _request(
        "2025-005",
        OrganisationFactory.create(name="Annat Bolag AB", type="company"),
        "2025-10-06",
        state=RequestState.ANSWERED,
        forwarded_at=_at("2025-10-07"),
        answer_sent_at=_at("2025-10-23"),
        compiled_answer="Uppsala: one clinic.",
        late_reason="Örebro had not compiled.",
        answer_deadline=date(2025, 10, 24),
    )
    for region, compiled, sent, answered in [
        (uppsala, "2025-10-22", "2025-10-23", "2025-10-10"),
        (orebro, "2025-10-28", "2025-10-29", "2025-10-27"),
    ]:
        part = RegionPart.objects.create(
            request=f,
            region=region,
            forwarded_by=cecilia,
            forwarded_at=_at("2025-10-07"),
            compiled_at=_at(compiled),
            sent_at=_at(sent),
            summary="One clinic.",
        )
        recipient = Recipient.objects.create(
            part=part, name="Klinik", email="k@test.example", selected_by=cecilia, link_nonce="n"
        )
        Answer.objects.create(
            recipient=recipient, is_interested=True, channel="link", answered_at=_at(answered)
        )


def test_an_answer_without_a_late_region_counts_when_sent(late_region: None) -> None:
    # F: 2025-10-06 -> 10-23 is 13 working days (no holidays in October): A 13, B 10, F 13.
    assert figures.time_to_compiled_answer(2025) == {"count": 3, "median": 13, "p90": 13}
    assert figures.share_answered_by_deadline(2025) == {
        "answered": 3,
        "on_time": 2,
        "share": 2 / 3,
        "complete_on_time": 1,
        "with_late_regions": 1,
    }


def test_a_late_region_and_its_supplement_are_not_by_the_deadline(late_region: None) -> None:
    # Regions of answered requests: A Uppsala on time, B Uppsala late, F Uppsala on time,
    # F Örebro late (its supplement went on 10-29, after the deadline 10-24).
    assert figures.regions_answered_by_deadline(2025) == {"regions": 4, "on_time": 2, "share": 0.5}


def test_an_answer_given_after_the_answer_went_still_counts_as_a_response(
    late_region: None,
) -> None:
    regions = figures.response_rate_per_region(2025)
    assert [(r["name"], r["asked"], r["answered"]) for r in regions] == [
        ("Uppsala", 4, 3),
        ("Örebro län", 2, 1),
    ]
