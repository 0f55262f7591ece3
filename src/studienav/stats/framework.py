"""The figure framework: a figure is one query function, one definition and one chart declaration.

Any app adds a figure by calling `figure_register` in its own `figures.py` module; the public page,
the downloads, the embeds and the annual report then show it without further code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from studienav.core.appmodules import studienav_app_modules
from studienav.stats.definitions import FIRST_YEAR, Definition

# What a figure may be broken down by (the series of its chart), with the filter's label.
BREAKDOWNS: dict[str, str | Promise] = {
    "region": _("Region"),
    "study_type": _("Study type"),
    "sponsor_type": _("Sponsor type"),
    "phase": _("Phase"),
    "therapeutic_area": _("Therapeutic area"),
    "care_setting": _("Care setting"),
    "overall_status": _("Recruitment status"),
    "total": _("Total only"),
}


@dataclass(frozen=True)
class Filters:
    """What the reader chose; every field is in the URL of the view."""

    year_from: int = FIRST_YEAR
    year_to: int = field(default_factory=lambda: date.today().year)
    regions: tuple[int, ...] = ()
    study_type: str = ""
    sponsor_type: str = ""
    phase: str = ""
    therapeutic_area: str = ""
    care_setting: str = ""
    by: str = "region"

    @property
    def years(self) -> list[int]:
        return list(range(self.year_from, self.year_to + 1))


@dataclass
class Row:
    key: str
    label: str
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class Table:
    """A figure's numbers: one row per series, one column per year, and the node's total row."""

    columns: list[int]
    rows: list[Row]
    total: Row | None = None
    dimension_label: str | Promise = ""


@dataclass(frozen=True)
class Chart:
    """How a figure is drawn: chart type, what runs along the axis, and what is counted."""

    type: str  # "bar", "stacked", "line"
    dimension: str  # along the axis: "year"
    measure: str | Promise  # what the numbers are, for the axis title: "studies"


@dataclass(frozen=True)
class Figure:
    slug: str
    title: str | Promise
    definition: Definition
    query: Callable[[Filters], Table]
    chart: Chart
    public: bool = True
    breakdowns: tuple[str, ...] = tuple(BREAKDOWNS)


_FIGURES: dict[str, Figure] = {}


def figure_register(figure: Figure) -> Figure:
    """Add a figure to the one registry of figures (idempotent per slug)."""
    _FIGURES[figure.slug] = figure
    return figure


def figures_all(*, public_only: bool = False) -> list[Figure]:
    """Every registered figure, from every app's figures.py: by app (statistics' own first,
    then INSTALLED_APPS order), in registration order within an app."""
    modules = [module.__name__ for module in studienav_app_modules("figures")]

    def app_position(figure: Figure) -> int:
        module = figure.query.__module__
        return modules.index(module) if module in modules else len(modules)

    figures = sorted(_FIGURES.values(), key=app_position)
    return [f for f in figures if f.public or not public_only]


def figure_get(slug: str) -> Figure | None:
    figures_all()
    return _FIGURES.get(slug)
