"""A new figure is one query function, one definition and one chart declaration: nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from studienav.stats import framework
from studienav.stats.definitions import Definition
from studienav.stats.framework import Chart, Figure, Filters, Row, Table, figure_register

pytestmark = pytest.mark.django_db


def forwarded_requests(filters: Filters) -> Table:
    return Table(
        columns=filters.years,
        rows=[Row("uppsala", "Uppsala", [3 for _year in filters.years])],
        dimension_label="Region",
    )


@pytest.fixture
def requests_figure() -> Iterator[Figure]:
    figure = figure_register(
        Figure(
            slug="requests-forwarded",
            title="Study requests forwarded",
            definition=Definition("forwarded", "Forwarded", "A request counts when forwarded."),
            query=forwarded_requests,
            chart=Chart(type="bar", dimension="year", measure="requests"),
            breakdowns=("region",),
        )
    )
    yield figure
    framework._FIGURES.pop(figure.slug)


def test_registered_figure_appears_on_the_page_in_downloads_and_embeds(
    client: Client, requests_figure: Figure
) -> None:
    page = client.get("/en/statistics/?year_from=2024&year_to=2025").content.decode()
    assert "Study requests forwarded" in page
    assert "A request counts when forwarded." in page
    csv = client.get("/en/statistics/requests-forwarded.csv?year_from=2024&year_to=2025")
    assert csv.content.decode().splitlines() == ["Region,2024,2025", "Uppsala,3,3"]
    assert client.get("/en/statistics/embed/requests-forwarded/").status_code == 200
