"""Figures of network activity for the statistics framework: course sessions, participants,
certificates, waiting-list moves and network meetings, each with its definition in words.
Years are calendar years in Swedish time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.network.models import (
    Certificate,
    CourseKind,
    CourseSession,
    Meeting,
    Network,
    Registration,
    RegistrationState,
)
from studienav.stats.definitions import Definition
from studienav.stats.framework import Chart, Figure, Filters, Row, Table, figure_register

SESSIONS = Definition(
    "course-sessions",
    _("Course sessions held"),
    _(
        "Sessions of the node's courses that took place, counted in the year they started; "
        "cancelled sessions are not counted. A course given on three dates is three sessions."
    ),
)
PARTICIPANTS = Definition(
    "course-participants",
    _("Course participants"),
    _(
        "People the course leader marked as present at a session held during the year. A "
        "person who takes two courses counts twice; registrations that were cancelled, stayed "
        "on the waiting list or were marked absent are not counted."
    ),
)
CERTIFICATES = Definition(
    "course-certificates",
    _("Certificates issued"),
    _(
        "Course certificates issued, counted in the year of the course date printed on them "
        "(the session's last day); revoked certificates are not counted."
    ),
)
WAITING_LIST_MOVES = Definition(
    "waiting-list-moves",
    _("Moves up from the waiting list"),
    _(
        "Registrations that moved from a waiting list to a seat because someone cancelled or "
        "seats were added, counted in the year of the move."
    ),
)
MEETINGS = Definition(
    "network-meetings",
    _("Network meetings"),
    _(
        "Meetings of the node's networks counted in the year they took place, per network. "
        "Every meeting in the record counts, with or without minutes."
    ),
)


def _local_year(moment: object) -> int:
    return timezone.localtime(moment).year  # type: ignore[arg-type]


def _by_kind(counts: Counter[tuple[int, str]], years: list[int], total_label: str) -> Table:
    rows = [
        Row(key=kind.value, label=str(kind.label), values=[counts[(y, kind.value)] for y in years])
        for kind in CourseKind
    ]
    total = Row(
        key="total",
        label=total_label,
        values=[sum(counts[(y, kind.value)] for kind in CourseKind) for y in years],
    )
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Course"))


def _in_years(moments: Iterable[tuple[object, str]], years: list[int]) -> Counter[tuple[int, str]]:
    counts: Counter[tuple[int, str]] = Counter()
    for moment, kind in moments:
        year = _local_year(moment)
        if years[0] <= year <= years[-1]:
            counts[(year, kind)] += 1
    return counts


def sessions_table(filters: Filters) -> Table:
    """SESSIONS per year and kind of course."""
    years = filters.years
    held = CourseSession.objects.filter(
        is_cancelled=False,
        starts_at__year__gte=years[0] - 1,
        starts_at__year__lte=years[-1] + 1,
        starts_at__lte=timezone.now(),
    ).values_list("starts_at", "course__kind")
    return _by_kind(_in_years(held, years), years, str(_("All sessions")))


def participants_table(filters: Filters) -> Table:
    """PARTICIPANTS per year and kind of course."""
    years = filters.years
    present = Registration.objects.filter(
        state=RegistrationState.ATTENDED,
        session__is_cancelled=False,
        session__starts_at__year__gte=years[0] - 1,
        session__starts_at__year__lte=years[-1] + 1,
    ).values_list("session__starts_at", "session__course__kind")
    return _by_kind(_in_years(present, years), years, str(_("All participants")))


def certificates_table(filters: Filters) -> Table:
    """CERTIFICATES per year and kind of course."""
    years = filters.years
    counts: Counter[tuple[int, str]] = Counter(
        (issued.year, kind)
        for issued, kind in Certificate.objects.filter(
            is_revoked=False, issued_on__year__gte=years[0], issued_on__year__lte=years[-1]
        ).values_list("issued_on", "registration__session__course__kind")
    )
    return _by_kind(counts, years, str(_("All certificates")))


def waiting_list_moves_table(filters: Filters) -> Table:
    """WAITING_LIST_MOVES per year and kind of course."""
    years = filters.years
    moves = Registration.objects.filter(
        moved_up_at__year__gte=years[0] - 1, moved_up_at__year__lte=years[-1] + 1
    ).values_list("moved_up_at", "session__course__kind")
    return _by_kind(_in_years(moves, years), years, str(_("All moves")))


def meetings_table(filters: Filters) -> Table:
    """MEETINGS per year and network."""
    years = filters.years
    held = Meeting.objects.filter(
        starts_at__year__gte=years[0] - 1,
        starts_at__year__lte=years[-1] + 1,
        starts_at__lte=timezone.now(),
    ).values_list("starts_at", "network_id")
    counts: Counter[tuple[int, int]] = Counter()
    for moment, network_id in held:
        year = _local_year(moment)
        if years[0] <= year <= years[-1]:
            counts[(year, network_id)] += 1
    rows = [
        Row(key=n.slug, label=n.local_name, values=[counts[(y, n.pk)] for y in years])
        for n in Network.objects.order_by("name")
    ]
    total = Row(
        key="total",
        label=str(_("All networks")),
        values=[sum(row.values[i] for row in rows) for i in range(len(years))],
    )
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Network"))


NETWORK_FIGURES = (
    figure_register(
        Figure(
            slug="course-sessions",
            title=_("Course sessions held"),
            definition=SESSIONS,
            query=sessions_table,
            chart=Chart(type="stacked", dimension="year", measure=_("sessions")),
            breakdowns=("total",),
        )
    ),
    figure_register(
        Figure(
            slug="course-participants",
            title=_("Course participants"),
            definition=PARTICIPANTS,
            query=participants_table,
            chart=Chart(type="stacked", dimension="year", measure=_("participants")),
            breakdowns=("total",),
        )
    ),
    figure_register(
        Figure(
            slug="course-certificates",
            title=_("Certificates issued"),
            definition=CERTIFICATES,
            query=certificates_table,
            chart=Chart(type="stacked", dimension="year", measure=_("certificates")),
            breakdowns=("total",),
        )
    ),
    figure_register(
        Figure(
            slug="waiting-list-moves",
            title=_("Moves up from the waiting list"),
            definition=WAITING_LIST_MOVES,
            query=waiting_list_moves_table,
            chart=Chart(type="bar", dimension="year", measure=_("moves")),
            public=False,
            breakdowns=("total",),
        )
    ),
    figure_register(
        Figure(
            slug="network-meetings",
            title=_("Network meetings"),
            definition=MEETINGS,
            query=meetings_table,
            chart=Chart(type="stacked", dimension="year", measure=_("meetings")),
            breakdowns=("total",),
        )
    ),
)
