"""The public statistics page, its downloads and embeds, and the staff dashboard's access rules."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.test import Client, override_settings
from openpyxl import load_workbook

from studienav.core.models import User
from studienav.stats.models import Target
from studienav.stats.refresh import facts_refresh
from tests.stats.conftest import MakeStudy, region

pytestmark = pytest.mark.django_db
SignIn = Callable[[Client, User], Client]


@pytest.fixture
def counted(make_study: MakeStudy) -> None:
    make_study(
        sites=[("03", date(2019, 3, 1)), ("18", date(2020, 5, 1)), ("19", date(2021, 1, 10))]
    )
    make_study(sites=[("03", date(2021, 2, 1))], sponsor_type="industry")
    facts_refresh(full=True)


def test_public_page_shows_every_figure_with_a_table_in_swedish_and_english(
    client: Client, counted: None
) -> None:
    response = client.get("/statistics/?year_from=2020&year_to=2021")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="stats-charts"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "stats/charts.js" in html
    assert "<script>" not in html.replace('<script id="stats-charts" type="application/json">', "")
    assert 'style="' not in html
    assert "<caption>" in html and "Västmanland" in html
    english = client.get("/en/statistics/")
    assert english.status_code == 200
    assert "Studies ongoing during the year" in english.content.decode()


def test_filters_in_the_url_change_the_figures(client: Client, counted: None) -> None:
    response = client.get("/en/statistics/?region=19&year_from=2021&year_to=2021&by=total")
    table = next(
        p["table"] for p in response.context["panels"] if p["figure"].slug == "studies-ongoing"
    )
    assert table.total.values == [1]
    assert table.rows == []


@pytest.mark.parametrize(
    "query",
    [
        "year_from=2010",
        "year_to=abc",
        "year_from=2022&year_to=2020",
        "region=01",
        "phase=9",
        "by=x",
    ],
)
def test_bad_filters_give_400_with_the_field_named_never_500(client: Client, query: str) -> None:
    response = client.get(f"/en/statistics/?{query}")
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()


def test_csv_download_holds_the_same_numbers_as_the_table(client: Client, counted: None) -> None:
    response = client.get("/en/statistics/studies-ongoing.csv?year_from=2020&year_to=2021")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Region", "2020", "2021"]
    assert ["Uppsala", "1", "2"] in rows
    assert rows[-1] == ["Node total (each study once)", "1", "2"]


def test_xlsx_download_opens_and_bad_filters_give_400(client: Client, counted: None) -> None:
    response = client.get("/en/statistics/participants.xlsx?year_from=2020")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "Participants recruited"
    assert client.get("/en/statistics/participants.xlsx?year_to=1999").status_code == 400
    assert client.get("/en/statistics/no-such-figure.csv").status_code == 404


@override_settings(STATS_EMBED_ORIGINS=["https://www.forummellansverige.se"])
def test_embed_may_be_framed_by_configured_origins_only(client: Client, counted: None) -> None:
    response = client.get("/statistics/embed/studies-started/?by=sponsor_type")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert (
        "frame-ancestors 'self' https://www.forummellansverige.se"
        in response["Content-Security-Policy"]
    )
    assert "site-header" not in response.content.decode()
    public = client.get("/statistics/")
    assert public["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in public["Content-Security-Policy"]


def test_how_we_count_page_holds_every_definition(client: Client) -> None:
    html = client.get("/en/statistics/how-we-count/").content.decode()
    assert "counts once in each region&#x27;s figure and once in the node&#x27;s total" in html
    assert "A report lower than the one before corrects it" in html


def test_staff_statistics_require_sign_in(client: Client) -> None:
    response = client.get("/staff/statistics/")
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]


def test_coordinator_sees_own_region_and_node_total_only(
    client: Client, signed_in: SignIn, bertil: User, counted: None
) -> None:
    response = signed_in(client, bertil).get("/en/staff/statistics/?year=2021")
    assert response.status_code == 200
    names = [block.name for block in response.context["key_figures"]]
    assert names == ["Örebro län", "Node total"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_node_office_sees_all_regions_and_sets_targets(
    client: Client, signed_in: SignIn, cecilia: User
) -> None:
    signed_in(client, cecilia)
    response = client.get("/en/staff/statistics/")
    assert len(response.context["key_figures"]) == 8
    posted = client.post(
        "/en/staff/statistics/targets/",
        {"region": region("03").pk, "year": 2025, "new_studies": 7, "status_check_share": 90},
    )
    assert posted.status_code == 302
    assert Target.objects.get().new_studies == 7


def test_bad_target_is_refused_next_to_the_field(
    client: Client, signed_in: SignIn, cecilia: User
) -> None:
    signed_in(client, cecilia)
    response = client.post(
        "/en/staff/statistics/targets/",
        {"region": region("03").pk, "year": 2025, "status_check_share": 300},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["status_check_share"]
    assert not Target.objects.exists()


def test_coordinator_cannot_reach_the_target_form(
    client: Client, signed_in: SignIn, bertil: User
) -> None:
    response = signed_in(client, bertil).post(
        "/en/staff/statistics/targets/",
        {"region": region("18").pk, "year": 2025, "new_studies": 99},
    )
    assert response.status_code == 403
    assert not Target.objects.exists()


def test_annual_report_button_gives_a_pdf(
    client: Client, signed_in: SignIn, cecilia: User, counted: None
) -> None:
    response = signed_in(client, cecilia).get("/en/staff/statistics/annual-report/?year=2024")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_national_page_shows_own_node_and_the_sum(
    client: Client, signed_in: SignIn, cecilia: User, counted: None, tmp_path: Path
) -> None:
    with override_settings(VAR_DIR=tmp_path, STATS_SIGNING_KEY=""):
        response = signed_in(client, cecilia).get("/en/staff/statistics/national/?year=2021")
    assert response.status_code == 200
    national = response.context["national"]
    assert [n["node"] for n in national.nodes] == ["forum-mellansverige"]
    assert national.totals["ongoing"] == 2


def test_staff_start_page_links_to_the_key_figures(
    client: Client, signed_in: SignIn, bertil: User
) -> None:
    html = signed_in(client, bertil).get("/en/staff/").content.decode()
    assert "/en/staff/statistics/" in html
