"""Key figures of participation, as plain queries; each docstring defines the figure."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from studienav.core.selectors import node_regions
from studienav.participation.models import ExpressionOfInterest, Referral
from studienav.stats.definitions import Definition
from studienav.stats.framework import Chart, Figure, Filters, Row, Table, figure_register


def _interests(
    since: datetime.date | None = None, until: datetime.date | None = None
) -> QuerySet[ExpressionOfInterest]:
    interests = ExpressionOfInterest.objects.all()
    if since:
        interests = interests.filter(created_at__date__gte=since)
    if until:
        interests = interests.filter(created_at__date__lt=until)
    return interests


def registrations_per_region_and_month(
    *, since: datetime.date | None = None, until: datetime.date | None = None
) -> list[dict[str, Any]]:
    """Registrations of interest by the following-up region and the month they were made.

    Counts every registration still in the database, withdrawn ones included (their rows
    remain without personal data); deleted ones are gone and not counted.
    """
    rows = (
        _interests(since, until)
        .annotate(month=TruncMonth("created_at"))
        .values("region__code", "region__name", "month")
        .annotate(registrations=Count("id"))
        .order_by("month", "region__code")
    )
    return [
        {
            "region": r["region__code"],
            "region_name": r["region__name"],
            "month": r["month"].date().isoformat()[:7] if r["month"] else None,
            "registrations": r["registrations"],
        }
        for r in rows
    ]


def share_confirmed(
    *, since: datetime.date | None = None, until: datetime.date | None = None
) -> dict[str, Any]:
    """Share of registrations with an e-mail address whose double opt-in was confirmed."""
    interests = _interests(since, until).exclude(email_hash="", erased_at__isnull=True)
    total = interests.count()
    confirmed = interests.filter(confirmed_at__isnull=False).count()
    return {
        "registrations": total,
        "confirmed": confirmed,
        "share": confirmed / total if total else None,
    }


def time_to_first_contact(
    *, since: datetime.date | None = None, until: datetime.date | None = None
) -> dict[str, Any]:
    """Days from confirmation to the coordinator's first recorded contact (median and count)."""
    days = sorted(
        (first - confirmed).total_seconds() / 86400
        for confirmed, first in _interests(since, until)
        .filter(confirmed_at__isnull=False, first_contact_at__isnull=False)
        .values_list("confirmed_at", "first_contact_at")
        if first is not None and confirmed is not None
    )
    if not days:
        return {"contacted": 0, "median_days": None}
    middle = len(days) // 2
    median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
    return {"contacted": len(days), "median_days": round(median, 1)}


def conversions_to_enrolment(
    *, since: datetime.date | None = None, until: datetime.date | None = None
) -> dict[str, Any]:
    """Confirmed registrations that ever reached 'enrolled', their share, and statuses now."""
    interests = _interests(since, until).filter(confirmed_at__isnull=False)
    per_status = Counter(dict(interests.values_list("status").annotate(n=Count("id"))))
    total = sum(per_status.values())
    # Reached enrolment at some time, even if the status moved on since.
    enrolled = interests.filter(enrolled_at__isnull=False).count()
    return {
        "confirmed": total,
        "enrolled": enrolled,
        "share": enrolled / total if total else None,
        "per_status": dict(per_status),
    }


def referrals_between_regions(
    *, since: datetime.date | None = None, until: datetime.date | None = None
) -> list[dict[str, Any]]:
    """Referrals by sending and receiving region and by status (pending, accepted, declined)."""
    referrals = Referral.objects.all()
    if since:
        referrals = referrals.filter(created_at__date__gte=since)
    if until:
        referrals = referrals.filter(created_at__date__lt=until)
    rows = (
        referrals.values("from_region__code", "to_region__code", "status")
        .annotate(referrals=Count("id"))
        .order_by("from_region__code", "to_region__code", "status")
    )
    return [
        {
            "from_region": r["from_region__code"],
            "to_region": r["to_region__code"],
            "status": r["status"],
            "referrals": r["referrals"],
        }
        for r in rows
    ]


REGISTRATIONS = Definition(
    "interest-registrations",
    _("Registrations of interest"),
    _(
        "Registrations of interest in research, general or for one study, counted in the year "
        "they were made and in the region that follows them up. Withdrawn registrations still "
        "count (their rows remain without personal data); deleted ones are gone and do not."
    ),
)


def registrations_table(filters: Filters) -> Table:
    """REGISTRATIONS per year and following-up region, for the statistics framework."""
    years = filters.years
    regions = list(node_regions())
    if filters.regions:
        regions = [r for r in regions if r.pk in filters.regions]
    counts = Counter(
        (row["created_at"].year, row["region_id"])
        for row in ExpressionOfInterest.objects.filter(
            created_at__year__gte=years[0], created_at__year__lte=years[-1]
        ).values("created_at", "region_id")
    )
    rows = [
        Row(key=r.code, label=r.short_name, values=[counts[(y, r.pk)] for y in years])
        for r in regions
    ]
    total = Row(
        key="total",
        label=str(_("All regions")),
        values=[sum(row.values[i] for row in rows) for i in range(len(years))],
    )
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Region"))


figure_register(
    Figure(
        slug="interest-registrations",
        title=_("Registrations of interest"),
        definition=REGISTRATIONS,
        query=registrations_table,
        chart=Chart(type="stacked", dimension="year", measure=_("registrations")),
        breakdowns=("region",),
    )
)
