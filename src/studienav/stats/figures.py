"""The statistics app's own figures, registered in the figure framework."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from studienav.stats import definitions
from studienav.stats.framework import Chart, Figure, Filters, Table, figure_register
from studienav.stats.queries import participants_by_site, participants_by_year, studies_by_year

STUDIES = _("studies")
PARTICIPANTS = _("participants")
STUDY_BREAKDOWNS = (
    "region",
    "study_type",
    "sponsor_type",
    "phase",
    "therapeutic_area",
    "care_setting",
    "overall_status",
    "total",
)


def studies_ongoing(filters: Filters) -> Table:
    return studies_by_year(filters, "ongoing")


def studies_started(filters: Filters) -> Table:
    return studies_by_year(filters, "started")


def studies_completed(filters: Filters) -> Table:
    return studies_by_year(filters, "completed")


figure_register(
    Figure(
        slug="studies-ongoing",
        title=_("Studies ongoing during the year"),
        definition=definitions.ONGOING,
        query=studies_ongoing,
        chart=Chart(type="stacked", dimension="year", measure=STUDIES),
        breakdowns=STUDY_BREAKDOWNS,
    )
)
figure_register(
    Figure(
        slug="studies-started",
        title=_("Studies started during the year"),
        definition=definitions.STARTED,
        query=studies_started,
        chart=Chart(type="stacked", dimension="year", measure=STUDIES),
        breakdowns=STUDY_BREAKDOWNS,
    )
)
figure_register(
    Figure(
        slug="studies-completed",
        title=_("Studies completed during the year"),
        definition=definitions.COMPLETED,
        query=studies_completed,
        chart=Chart(type="stacked", dimension="year", measure=STUDIES),
        breakdowns=STUDY_BREAKDOWNS,
    )
)
figure_register(
    Figure(
        slug="participants",
        title=_("Participants recruited"),
        definition=definitions.PARTICIPANTS,
        query=participants_by_year,
        chart=Chart(type="bar", dimension="year", measure=PARTICIPANTS),
        breakdowns=tuple(b for b in STUDY_BREAKDOWNS if b != "overall_status"),
    )
)
figure_register(
    Figure(
        slug="participants-by-site",
        title=_("Participants recruited per site"),
        definition=definitions.PARTICIPANTS,
        query=participants_by_site,
        chart=Chart(type="line", dimension="year", measure=PARTICIPANTS),
        breakdowns=(),
    )
)
