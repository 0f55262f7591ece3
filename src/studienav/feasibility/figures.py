"""Key figures of study requests: one query function per figure, its definition in the docstring.

Working days: Monday to Friday except Swedish public holidays and the days Swedish
practice treats as non-working (Midsummer Eve, Christmas Eve, New Year's Eve), from the
`holidays` package (categories "public" and "de_facto"). A duration in working days from
day A to day B counts the working days after A up to and including B, in Stockholm time;
clarification pauses (from the day asked to the day answered) are subtracted the same way.
Percentiles use the nearest-rank method.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import holidays
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.feasibility.models import (
    Answer,
    Outcome,
    Recipient,
    RegionPart,
    RequestKind,
    RequestState,
    StudyRequest,
)
from studienav.stats.definitions import Definition
from studienav.stats.framework import Chart, Figure, Filters, Row, Table, figure_register


@lru_cache(maxsize=64)
def non_working_days(year: int) -> frozenset[date]:
    """Swedish public holidays of the year plus Midsummer Eve, Christmas Eve, New Year's Eve."""
    days = holidays.country_holidays(
        "SE", years=year, categories=("public", "de_facto"), include_sundays=False
    )
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in non_working_days(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end is not after start)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def working_days_excluding_pauses(request: StudyRequest, start: datetime, end: datetime) -> int:
    """Working days from `start` to `end`, minus the clarification pauses inside them."""
    total = working_days_between(_local_day(start), _local_day(end))
    for pause in request.pauses.all():
        resumed = pause.resumed_at or end
        pause_start = max(pause.asked_at, start)
        pause_end = min(resumed, end)
        if pause_end > pause_start:
            total -= working_days_between(_local_day(pause_start), _local_day(pause_end))
    return max(total, 0)


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least `share` of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(share * len(ordered)), 1)
    return ordered[rank - 1]


def _received_in(year: int | None) -> QuerySet[StudyRequest]:
    requests = StudyRequest.objects.all()
    if year is not None:
        requests = requests.filter(received_at__year=year)
    return requests


def requests_per_year_and_kind() -> list[dict[str, Any]]:
    """Requests received per calendar year (of the received date) and kind (country, site)."""
    counts: Counter[tuple[int, str]] = Counter(
        (timezone.localtime(r.received_at).year, r.kind)
        for r in StudyRequest.objects.only("received_at", "kind")
    )
    return [
        {"year": y, "kind": k, "label": RequestKind(k).label, "count": n}
        for (y, k), n in sorted(counts.items())
    ]


def share_forwarded(year: int | None = None) -> dict[str, Any]:
    """Of requests received in the year and decided (forwarded, answered or not forwarded), the
    share forwarded to at least one region. Requests still in checking are left out."""
    decided = _received_in(year).exclude(
        state__in=[RequestState.RECEIVED, RequestState.CLARIFICATION]
    )
    total = decided.count()
    forwarded = decided.filter(forwarded_at__isnull=False).count()
    return {"decided": total, "forwarded": forwarded, "share": forwarded / total if total else None}


def _duration_summary(days: list[int]) -> dict[str, Any]:
    return {
        "count": len(days),
        "median": statistics.median(days) if days else None,
        "p90": percentile(days, 0.9),
    }


def time_to_forward(year: int | None = None) -> dict[str, Any]:
    """Working days from received to forwarded, minus clarification pauses, over requests
    received in the year and forwarded: count, median and 90th percentile."""
    requests = _received_in(year).filter(forwarded_at__isnull=False).prefetch_related("pauses")
    days = [working_days_excluding_pauses(r, r.received_at, r.forwarded_at) for r in requests]  # type: ignore[arg-type]
    return _duration_summary(days)


def time_to_compiled_answer(year: int | None = None) -> dict[str, Any]:
    """Working days from received to the compiled answer sent to the sponsor, minus
    clarification pauses, over requests received in the year and answered. An answer sent
    without late regions counts when it was sent; later supplements do not move it."""
    requests = _received_in(year).filter(answer_sent_at__isnull=False).prefetch_related("pauses")
    days = [working_days_excluding_pauses(r, r.received_at, r.answer_sent_at) for r in requests]  # type: ignore[arg-type]
    return _duration_summary(days)


def share_answered_by_deadline(year: int | None = None) -> dict[str, Any]:
    """Of requests received in the year whose answer was sent, the share sent on or before the
    answer deadline (Stockholm date); `complete_on_time` counts only those sent by then with
    every region, `with_late_regions` those sent without some ("no answer by the deadline")."""
    late = Q(parts__sent_at__isnull=True) | Q(parts__sent_at__gt=F("answer_sent_at"))
    answered = list(
        _received_in(year)
        .filter(answer_sent_at__isnull=False)
        .annotate(unsent=Count("parts", filter=late))
    )
    on_time = [
        r
        for r in answered
        if r.answer_sent_at and _local_day(r.answer_sent_at) <= r.answer_deadline
    ]
    total = len(answered)
    return {
        "answered": total,
        "on_time": len(on_time),
        "share": len(on_time) / total if total else None,
        "complete_on_time": len([r for r in on_time if not r.unsent]),
        "with_late_regions": len([r for r in answered if r.unsent]),
    }


def regions_answered_by_deadline(year: int | None = None) -> dict[str, Any]:
    """Over the regions of requests received in the year and answered, the share whose
    compiled answer reached the sponsor on or before the deadline (Stockholm date): with the
    answer, or as a supplement. A region still without an answer counts as late."""
    parts = RegionPart.objects.filter(request__answer_sent_at__isnull=False).select_related(
        "request"
    )
    if year is not None:
        parts = parts.filter(request__received_at__year=year)
    total = 0
    on_time = 0
    for part in parts:
        total += 1
        if part.sent_at is not None and _local_day(part.sent_at) <= part.request.answer_deadline:
            on_time += 1
    return {"regions": total, "on_time": on_time, "share": on_time / total if total else None}


def _response_rows(key: str, label: str, year: int | None) -> list[dict[str, Any]]:
    recipients = Recipient.objects.all()
    if year is not None:
        recipients = recipients.filter(part__request__received_at__year=year)
    rows = (
        recipients.values(key, label)
        .annotate(asked=Count("id"), answered=Count("answer"))
        .order_by(label)
    )
    return [
        {
            "name": row[label] or "—",
            "asked": row["asked"],
            "answered": row["answered"],
            "rate": row["answered"] / row["asked"] if row["asked"] else None,
        }
        for row in rows
    ]


def response_rate_per_region(year: int | None = None) -> list[dict[str, Any]]:
    """Per region: recipients asked (for requests received in the year), how many answered,
    and the response rate answered / asked."""
    return _response_rows("part__region__code", "part__region__short_name", year)


def response_rate_per_clinic(year: int | None = None) -> list[dict[str, Any]]:
    """Per clinic (the recipient's organisation; recipients without one under "—"): recipients
    asked, answered, and the response rate answered / asked."""
    return _response_rows("organisation_id", "organisation__name", year)


def share_interested(year: int | None = None) -> dict[str, Any]:
    """Of the answers given to requests received in the year, the share that said interested."""
    answers = Answer.objects.all()
    if year is not None:
        answers = answers.filter(recipient__part__request__received_at__year=year)
    total = answers.count()
    interested = answers.filter(is_interested=True).count()
    return {
        "answers": total,
        "interested": interested,
        "share": interested / total if total else None,
    }


def requests_leading_to_study(year: int | None = None) -> dict[str, Any]:
    """Of requests received in the year and answered, how many led to a study here (sites
    selected or study started) and how many of those are linked to a registry record."""
    answered = _received_in(year).filter(state=RequestState.ANSWERED)
    total = answered.count()
    led = answered.filter(outcome__in=[Outcome.SITE_SELECTED, Outcome.STUDY_STARTED])
    return {
        "answered": total,
        "led_to_study": led.count(),
        "linked": led.filter(outcome_study__isnull=False).count(),
        "share": led.count() / total if total else None,
    }


def decline_reasons(year: int | None = None) -> list[dict[str, Any]]:
    """Reasons for declining, most frequent first, over answers to requests of the year."""
    answers = Answer.objects.filter(is_interested=False)
    if year is not None:
        answers = answers.filter(recipient__part__request__received_at__year=year)
    counts: dict[str, int] = defaultdict(int)
    for reason in answers.values_list("decline_reason", flat=True):
        counts[reason] += 1
    return [{"reason": r, "count": n} for r, n in sorted(counts.items(), key=lambda x: -x[1])]


def all_figures(year: int | None = None) -> dict[str, Any]:
    """Every figure of the year, for the node office page."""
    return {
        "per_year_and_kind": requests_per_year_and_kind(),
        "share_forwarded": share_forwarded(year),
        "time_to_forward": time_to_forward(year),
        "time_to_compiled_answer": time_to_compiled_answer(year),
        "share_answered_by_deadline": share_answered_by_deadline(year),
        "regions_answered_by_deadline": regions_answered_by_deadline(year),
        "response_rate_per_region": response_rate_per_region(year),
        "response_rate_per_clinic": response_rate_per_clinic(year),
        "share_interested": share_interested(year),
        "requests_leading_to_study": requests_leading_to_study(year),
        "decline_reasons": decline_reasons(year),
    }


REQUESTS_RECEIVED = Definition(
    "study-requests-received",
    _("Study requests received"),
    _(
        "Requests from sponsors registered by the node, counted in the year of the date they "
        "were received (in Swedish time), by kind: country feasibility or site feasibility. "
        "A request counts once for the node, whatever the regions it was forwarded to."
    ),
)


def requests_received_table(filters: Filters) -> Table:
    """REQUESTS_RECEIVED per year and kind, for the statistics framework."""
    years = filters.years
    counts: Counter[tuple[int, str]] = Counter(
        (timezone.localtime(r.received_at).year, r.kind)
        for r in StudyRequest.objects.filter(
            received_at__year__gte=years[0] - 1, received_at__year__lte=years[-1] + 1
        ).only("received_at", "kind")
    )
    rows = [
        Row(key=kind.value, label=str(kind.label), values=[counts[(y, kind.value)] for y in years])
        for kind in RequestKind
    ]
    total = Row(
        key="total",
        label=str(_("All requests")),
        values=[sum(counts[(y, kind.value)] for kind in RequestKind) for y in years],
    )
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Kind"))


figure_register(
    Figure(
        slug="study-requests-received",
        title=_("Study requests received"),
        definition=REQUESTS_RECEIVED,
        query=requests_received_table,
        chart=Chart(type="stacked", dimension="year", measure=_("requests")),
        breakdowns=("total",),
    )
)
