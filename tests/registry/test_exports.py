"""Export then import into an empty database gives the same records back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from studienav.core.demo import organisations_load
from studienav.core.models import Organisation
from studienav.registry.exports import CSV_COLUMNS, export_studies
from studienav.registry.importers import import_file
from studienav.registry.models import Site, Study, StudyCondition, StudyIdentifier, StudyState
from studienav.registry.records import public_snapshot, record_apply
from studienav.registry.schema import StudyRecord
from tests.registry.test_importers import DATA, SPREADSHEET_ROWS, V2

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests compare the importers' exact English messages (tests start in Swedish)."""
    with translation.override("en"):
        yield


def _snapshots() -> dict[str, dict[str, Any]]:
    out = {}
    for study in Study.objects.all():
        key = min(study.identifiers.values_list("value", flat=True))
        out[key] = public_snapshot(study)
    return out


def _load_some_studies(tmp_path: Path) -> None:
    organisations_load()
    for path in (
        V2 / "NCT02552212.json",
        V2 / "NCT03630471.json",
        DATA / "ctgov-xml" / "NCT00001177.xml",
        DATA / "ctgov-classic" / "NCT04780763.json",
    ):
        assert import_file(path=path, publish=True).rejected == 0
    sheet = tmp_path / "local.csv"
    with sheet.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=";").writerows(SPREADSHEET_ROWS[:4])
    assert import_file(path=sheet).rejected == 0


def _empty_registry() -> None:
    Site.objects.all().delete()
    Study.objects.all().delete()
    # The receiving node keeps its own organisations; those the import created go.
    Organisation.objects.filter(needs_review=True).delete()
    assert not StudyIdentifier.objects.exists() and not StudyCondition.objects.exists()


def test_jsonl_export_then_import_into_an_empty_database_gives_the_same_records(
    tmp_path: Path,
) -> None:
    _load_some_studies(tmp_path)
    before = _snapshots()
    states = dict(Study.objects.values_list("public_title", "state"))
    path = tmp_path / "backup.jsonl"
    with path.open("w", encoding="utf-8") as out:
        assert export_studies(out=out, format="jsonl") == 6
    StudyRecord.model_validate_json(path.read_text(encoding="utf-8").splitlines()[0])
    _empty_registry()
    report = import_file(path=path)
    assert report.summary == "created 6, updated 0, unchanged 0, rejected 0, flagged 0", (
        report.lines
    )
    assert _snapshots() == before
    assert dict(Study.objects.values_list("public_title", "state")) == states
    assert import_file(path=path).unchanged == 6


def test_published_only_leaves_out_studies_waiting_for_review(tmp_path: Path) -> None:
    _load_some_studies(tmp_path)
    out = io.StringIO()
    assert export_studies(out=out, format="jsonl", published_only=True) == 4
    assert Study.objects.filter(state=StudyState.SUBMITTED).count() == 2


def test_csv_export_has_the_documented_header_and_one_row_a_study(tmp_path: Path) -> None:
    _load_some_studies(tmp_path)
    out = io.StringIO()
    call_command("export_studies", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 6
    drug = next(r for r in rows if "NCT09000010" in r["identifiers"])
    assert drug["sites"] == "Akademiska sjukhuset (03) | Universitetssjukhuset Örebro (18)"
    assert "ethics:2023-01234-01" in drug["identifiers"]
    assert drug["conditions"] == "Astma [J45]"


def test_export_command_writes_the_output_file(tmp_path: Path) -> None:
    _load_some_studies(tmp_path)
    target = tmp_path / "out.jsonl"
    err = io.StringIO()
    call_command("export_studies", "--output", str(target), stderr=err)
    assert len(target.read_text(encoding="utf-8").splitlines()) == 6
    assert err.getvalue().strip() == f"exported 6 studies to {target}"


def test_csv_export_keeps_formulas_as_text(tmp_path: Path) -> None:
    record = StudyRecord.model_validate(
        {
            "public_title": '=HYPERLINK("http://x","y")',
            "public_title_en": "+1",
            "acronym": "-1",
            "primary_sponsor_name": "@x",
            "study_type": "other_interventional",
            "sponsor_type": "academic",
            "overall_status": "recruiting",
            "state": "published",
        }
    )
    record_apply(record=record, by=None, reason="test")
    out = tmp_path / "studies.csv"
    call_command("export_studies", "--format", "csv", "--output", str(out))
    row = next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert row["public_title"] == '\'=HYPERLINK("http://x","y")'
    assert row["public_title_en"] == "'+1"
    assert row["acronym"] == "'-1"
    assert row["primary_sponsor_name"] == "'@x"
