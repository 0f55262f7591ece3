"""Spreadsheet-safe cells: text a spreadsheet would run as a formula stays text, in every
export that writes CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from studienav.core import services
from studienav.core.models import User
from studienav.core.spreadsheets import spreadsheet_cell, spreadsheet_row
from tests.factories import UserFactory

SignIn = Callable[[Client, User], Client]

FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@x", "\tx", "\rx"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_a_spreadsheet_would_run_is_kept_as_text(text: str) -> None:
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Astma", "1-2", "a=b", " =x", "'=x", "NCT01234567"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert spreadsheet_cell(text) == text


def test_numbers_dates_and_nothing_are_left_for_the_writer() -> None:
    assert spreadsheet_row([-1, 2.5, None, True]) == [-1, 2.5, None, True]


@given(st.text())
def test_no_cell_starts_a_formula(text: str) -> None:
    cell = spreadsheet_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, "'" + text)


@pytest.mark.django_db
def test_history_csv_keeps_a_formula_in_an_actors_address_as_text(
    client: Client, cecilia: User, signed_in: SignIn
) -> None:
    person = UserFactory.create(email="=cmd@test.example")
    services.user_update_profile(user=person, full_name="Eva Lind", phone="1", language="sv")
    signed_in(client, cecilia)
    url = reverse("core:history", args=["core.user", person.pk])
    response = client.get(url, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["actor"] for row in rows] == ["'=cmd@test.example"]


@pytest.mark.django_db
def test_a_figures_xlsx_keeps_an_address_that_starts_like_a_formula_as_text(
    client: Client,
) -> None:
    response = client.get("/en/statistics/studies-ongoing.xlsx?=cmd|' /C calc'!A0")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    address = sheet["A3"]
    assert address.data_type == "s"
    assert str(address.value).startswith("'=")
