"""The iCalendar feed parses back; the activity report builds as PDF and XLSX from a command;
the figures enter the statistics framework with their definitions."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from icalendar import Calendar
from openpyxl import load_workbook

from studienav.core.models import User
from studienav.network.models import CourseSession, RegistrationState
from studienav.stats.framework import Filters, figure_get
from tests.network.factories import CourseFactory, RegistrationFactory, SessionFactory


def test_the_calendar_feed_is_valid_icalendar(client: Client, session: CourseSession) -> None:
    response = client.get("/courses/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]).startswith(f"course-session-{session.pk}@")
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert event.decoded("DTSTART") == session.starts_at.astimezone(UTC)
    assert event.decoded("DTEND") == session.ends_at.astimezone(UTC)
    assert str(event["SUMMARY"]) == "GCP grundkurs"


def test_the_english_feed_has_english_names(client: Client, session: CourseSession) -> None:
    calendar = Calendar.from_ical(client.get("/en/courses/calendar.ics").content)
    assert str(calendar.walk("VEVENT")[0]["SUMMARY"]) == "GCP basic course"


def test_cancelled_and_past_sessions_are_not_in_the_calendar(client: Client, lena: User) -> None:
    SessionFactory.create(is_cancelled=True, leader=lena)
    calendar = Calendar.from_ical(client.get("/courses/calendar.ics").content)
    assert calendar.walk("VEVENT") == []


def _held_year(lena: User) -> None:
    course = CourseFactory.create(name='=HYPERLINK("http://x")', name_en='=HYPERLINK("http://x")')
    session = SessionFactory.create(course=course, leader=lena)
    for _ in range(3):
        RegistrationFactory.create(session=session, state=RegistrationState.ATTENDED)
    RegistrationFactory.create(session=session, state=RegistrationState.ABSENT)


def test_participants_figure_counts_those_present(lena: User, time_machine: object) -> None:
    _held_year(lena)
    figure = figure_get("course-participants")
    assert figure is not None and figure.definition.text
    table = figure.query(Filters(year_from=2025, year_to=2025, by="total"))
    assert table.total is not None and table.total.values == [3]


def test_the_activity_report_builds_as_pdf_and_xlsx(tmp_path: Path, lena: User) -> None:
    _held_year(lena)
    call_command("activity_report", year=2025, output=str(tmp_path / "r.pdf"))
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    call_command("activity_report", year=2025, output=str(tmp_path / "r.xlsx"), language="en")
    workbook = load_workbook(tmp_path / "r.xlsx")
    cells = [c for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Definitions" in workbook.sheetnames
    # A course named like a formula stays text.
    assert '\'=HYPERLINK("http://x")' in cells


def test_the_report_refuses_an_unknown_file_type(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="--output"):
        call_command("activity_report", year=2025, output=str(tmp_path / "r.docx"))
