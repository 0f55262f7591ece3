"""The annual report: `studienav annual-report` writes a typeset PDF whose text can be found."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from studienav.stats.refresh import facts_refresh
from tests.stats.conftest import MakeStudy

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages: reportlab writes (...) Tj in ASCII85 + deflate streams."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.DOTALL):
        body = stream.strip()
        try:
            chunks.append(zlib.decompress(base64.a85decode(body.removesuffix(b"~>"))))
        except (ValueError, zlib.error):
            chunks.append(body)
    return b"\n".join(chunks).decode("latin-1")


@pytest.fixture
def counted(make_study: MakeStudy) -> None:
    make_study(sites=[("03", date(2023, 3, 1)), ("18", date(2024, 5, 1))])
    make_study(sites=[("21", date(2024, 2, 1))], sponsor_type="industry")
    facts_refresh(full=True)


def test_annual_report_command_writes_a_pdf_in_english(tmp_path: Path, counted: None) -> None:
    output = tmp_path / "report.pdf"
    call_command("annual_report", year=2024, language="en", output=str(output))
    data = output.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    assert "Annual report 2024" in text
    assert "Key figures against targets" in text
    assert "Gävleborg" in text or "G\\344vleborg" in text
    assert "How we count" in text


def test_annual_report_command_names_the_bad_argument(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--year"):
        call_command("annual_report", year=1990, output=str(tmp_path / "r.pdf"))
    with pytest.raises(CommandError, match="--output"):
        call_command("annual_report", year=2024, output=str(tmp_path / "missing" / "r.pdf"))
