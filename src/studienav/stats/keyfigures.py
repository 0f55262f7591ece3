"""Key figures per region and year against the node office's targets, trend and monthly change."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Region
from studienav.core.selectors import node_regions
from studienav.registry.models import SponsorType
from studienav.stats.definitions import FIRST_YEAR, STATUS_CHECK_DAYS
from studienav.stats.models import EnrolmentFact, FactRefresh, StudyFact, Target

KEYS: tuple[tuple[str, str | Promise], ...] = (
    ("new_studies", _("New studies")),
    ("industry_studies", _("New industry-sponsored studies")),
    ("participants", _("Participants recruited")),
    ("status_check_share", _("Studies with a status check in the last six months (%)")),
)
TREND_YEARS = 5
Actuals = dict[tuple[int | None, int], dict[str, int | None]]


@dataclass
class KeyFigure:
    key: str
    label: str | Promise
    actual: int | None
    target: int | None
    change: int | None  # since last month; None when not comparable
    trend: list[tuple[int, int | None]] = field(default_factory=list)

    @property
    def share_of_target(self) -> int | None:
        if not self.target or self.actual is None:
            return None
        return round(100 * self.actual / self.target)

    @property
    def met(self) -> bool:
        return self.target is not None and self.actual is not None and self.actual >= self.target


@dataclass
class RegionKeyFigures:
    region: Region | None  # None: the node's total
    figures: list[KeyFigure]

    @property
    def name(self) -> str:
        return self.region.short_name if self.region else str(_("Node total"))


def reference_day(year: int, today: date) -> date:
    """definitions.STATUS_CHECK: the last day of the year, or today for the current year."""
    return min(date(year, 12, 31), today)


def _status_shares(days: list[date], region_ids: list[int]) -> dict[tuple[int | None, date], int]:
    """definitions.STATUS_CHECK on each reference day, per region and node, in one scan."""
    aggregates = {}
    for index, day in enumerate(days):
        # Compared as datetimes (not dates) so that the database reads the column as it is.
        since = timezone.make_aware(
            datetime.combine(day - timedelta(days=STATUS_CHECK_DAYS), time.min)
        )
        until = timezone.make_aware(datetime.combine(day, time.max))
        # definitions.ONGOING on the reference day.
        ongoing = Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))
        aggregates[f"ongoing{index}"] = Count("id", filter=ongoing)
        aggregates[f"checked{index}"] = Count(
            "id",
            filter=ongoing & Q(status_confirmed_at__gte=since, status_confirmed_at__lte=until),
        )
    facts = StudyFact.objects.filter(
        Q(region__isnull=True) | Q(region_id__in=region_ids), start_date__lte=max(days)
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=min(days)))
    result = {}
    for group in facts.values("region_id").annotate(**aggregates).order_by():
        for index, day in enumerate(days):
            if group[f"ongoing{index}"]:
                share = 100 * group[f"checked{index}"] / group[f"ongoing{index}"]
                result[(group["region_id"], day)] = round(share)
    return result


def _actuals(as_of: date, years: list[int], region_ids: list[int]) -> Actuals:
    """Each key figure per (region, or None for the node; year), as known on `as_of`."""
    result: Actuals = defaultdict(dict)
    started = (
        StudyFact.objects.filter(
            # The years as a range of start dates: the covering key figures index reads it.
            Q(region__isnull=True) | Q(region_id__in=region_ids),
            start_date__gte=date(years[0], 1, 1),
            start_date__lte=min(as_of, date(years[-1], 12, 31)),
        )
        .values("region_id", "start_year")
        .annotate(
            new=Count("id"), industry=Count("id", filter=Q(sponsor_type=SponsorType.INDUSTRY))
        )
    )
    for row in started:
        key = (row["region_id"], row["start_year"])
        result[key]["new_studies"] = row["new"]
        result[key]["industry_studies"] = row["industry"]
    recruited = (
        EnrolmentFact.objects.filter(
            region_id__in=region_ids,
            year__gte=years[0],
            year__lte=years[-1],
            reported_on__lte=as_of,
        )
        .values("region_id", "year")
        .annotate(total=Sum("increment"))
    )
    for row in recruited:
        result[(row["region_id"], row["year"])]["participants"] = row["total"]
        node = result[(None, row["year"])]
        node["participants"] = (node.get("participants") or 0) + row["total"]
    days = [reference_day(year, as_of) for year in years if date(year, 1, 1) <= as_of]
    if days:
        for (region_id, day), share in _status_shares(days, region_ids).items():
            result[(region_id, day.year)]["status_check_share"] = share
    return result


def _actuals_key(as_of: date, years: list[int], region_ids: list[int]) -> str:
    return f"{as_of}:{years[0]}-{years[-1]}:{','.join(map(str, region_ids))}"


def _actuals_as_refreshed(as_of: date, years: list[int], region_ids: list[int]) -> Actuals:
    """_actuals, kept until the next refresh: the facts change only then. The refresh itself
    computes this year's (`actuals_keep`) into its own row, which every worker reads; other
    years and days are computed on first view and kept in the cache."""
    refreshed = (
        FactRefresh.objects.filter(finished_at__isnull=False)
        .values_list("pk", "finished_at")
        .first()
    )
    if refreshed is None:
        return _actuals(as_of, years, region_ids)
    pk, finished = refreshed
    wanted = _actuals_key(as_of, years, region_ids)
    key = f"stats:actuals:{pk}-{finished.timestamp() if finished else 0}:{wanted}"
    actuals: Actuals | None = cache.get(key)
    if actuals is None:
        kept = FactRefresh.objects.filter(pk=pk).values_list("actuals", flat=True).first() or {}
        if wanted in kept:
            actuals = {(region, year): values for region, year, values in kept[wanted]}
        else:
            actuals = dict(_actuals(as_of, years, region_ids))
        cache.set(key, actuals, timeout=2 * 24 * 3600)
    return actuals


def _asked(year: int, today: date) -> tuple[tuple[date, list[int]], tuple[date, list[int]] | None]:
    """What the figures of a year read: the actuals on its reference day over the trend's
    years, and those of a month ago (when still in the same year) for the change."""
    years = list(range(max(FIRST_YEAR, year - TREND_YEARS + 1), year + 1))
    month_ago = today - timedelta(days=30)
    earlier = (month_ago, [year]) if month_ago.year == year else None
    return (reference_day(year, today), years), earlier


def actuals_keep(run: FactRefresh, *, today: date) -> None:
    """Compute this year's key figures (as the dashboard asks for them) into the refresh's row."""
    region_ids = [r.pk for r in node_regions()]
    now, earlier = _asked(today.year, today)
    run.actuals = {
        _actuals_key(as_of, years, region_ids): [
            [region, year, values]
            for (region, year), values in _actuals(as_of, years, region_ids).items()
        ]
        for as_of, years in [now, *([earlier] if earlier else [])]
    }


def _value(actuals: Actuals, region_id: int | None, year: int, key: str) -> int | None:
    value = actuals.get((region_id, year), {}).get(key)
    return value if value is not None or key == "status_check_share" else 0


def key_figures(*, year: int, today: date, regions: list[Region]) -> list[RegionKeyFigures]:
    """Actual against target for each region and the node, trend over years, change in a month.

    The node's total is always the whole node's, also when `regions` is one coordinator's.
    """
    region_ids = [r.pk for r in node_regions()]
    asked_now, asked_earlier = _asked(year, today)
    years = asked_now[1]
    now = _actuals_as_refreshed(*asked_now, region_ids)
    earlier = _actuals_as_refreshed(*asked_earlier, region_ids) if asked_earlier else None
    targets = {(t.region_id, t.year): t for t in Target.objects.filter(year=year)}
    node_targets: dict[str, int | None] = {}
    for key, _label in KEYS[:3]:
        values = [getattr(targets[(r, year)], key) for r in region_ids if (r, year) in targets]
        node_targets[key] = sum(v for v in values if v is not None) if values else None
    node_targets["status_check_share"] = None
    result = []
    for region in [*regions, None]:
        region_id = region.pk if region else None
        target = targets.get((region_id, year)) if region_id else None
        figures = []
        for key, label in KEYS:
            actual = _value(now, region_id, year, key)
            before = _value(earlier, region_id, year, key) if earlier is not None else None
            figures.append(
                KeyFigure(
                    key=key,
                    label=label,
                    actual=actual,
                    target=node_targets.get(key)
                    if region is None
                    else (getattr(target, key) if target else None),
                    change=(actual - before) if actual is not None and before is not None else None,
                    trend=[(y, _value(now, region_id, y, key)) for y in years],
                )
            )
        result.append(RegionKeyFigures(region=region, figures=figures))
    return result


def node_region_list() -> list[Region]:
    return list(node_regions())
