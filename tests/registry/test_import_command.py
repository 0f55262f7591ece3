"""`studienav import-studies`: exit status, one line per rejected record and per note of a kept
one, the counts last."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from studienav.registry.models import Study, StudyState
from tests.registry.test_importers import V2, _broken_page, write_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests compare the importers' exact English messages (tests start in Swedish)."""
    with translation.override("en"):
        yield


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_studies", *args, stdout=out, stderr=err)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_clean_files_exit_0_with_the_counts_as_last_line() -> None:
    code, out, err = _run(str(V2 / "NCT02552212.json"), str(V2 / "NCT02278341.json"), "--publish")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "created 1, updated 0, unchanged 1, rejected 0, flagged 0"
    assert Study.objects.get().state == StudyState.PUBLISHED


def test_without_publish_imported_studies_wait_for_the_quality_check() -> None:
    _run(str(V2 / "NCT03418623.json"))
    assert Study.objects.get().state == StudyState.SUBMITTED


def test_rejected_records_exit_1_one_line_each_on_stderr(tmp_path: Path) -> None:
    path = _broken_page(tmp_path)
    with translation.override("en"):
        code, out, err = _run(str(path), "--format", "ctgov")
    assert code == 1
    assert out.strip() == "created 5, updated 0, unchanged 0, rejected 1, flagged 3"
    lines = err.splitlines()
    assert len(lines) == 6
    assert lines[1] == (
        f"{path}#2: identifiers.0: ClinicalTrials.gov (NCT) must look like NCT01234567, got "
        "NCT123 (kept for review)"
    )
    assert lines[-1].startswith(f"{path}#6: record: ")
    assert all(line.startswith(f"{path}#") for line in lines)


def test_records_kept_with_notes_exit_0_with_a_line_per_note(tmp_path: Path) -> None:
    study = json.loads((V2 / "NCT03418623.json").read_text(encoding="utf-8"))
    study["protocolSection"]["eligibilityModule"]["minimumAge"] = "old enough"
    path = write_page(tmp_path / "odd.json", study)
    code, out, err = _run(str(path))
    assert code == 0
    assert out.strip() == "created 1, updated 0, unchanged 0, rejected 0, flagged 1"
    assert err.splitlines() == [
        f"{path}#1: min_age_years: 'old enough' is not an age (for example 18 Years) "
        "(kept for review)"
    ]


def test_dry_run_prints_the_same_and_writes_nothing(tmp_path: Path) -> None:
    path = _broken_page(tmp_path)
    dry = _run(str(path), "--dry-run")
    assert Study.objects.count() == 0
    assert dry == _run(str(path))
    assert Study.objects.count() == 5


def test_missing_file_and_invalid_json_are_one_clear_line_each(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    code, out, err = _run(str(tmp_path / "missing.json"), str(bad))
    assert code == 1
    assert err.splitlines() == [
        f"{tmp_path / 'missing.json'}: no such file",
        f"{bad}: not valid JSON: lexical error: invalid string in json text.",
    ]
    assert out.strip() == "created 0, updated 0, unchanged 0, rejected 2, flagged 0"


def test_command_line_never_shows_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<clinical_study><brief_title>x", encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STUDIENAV_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run(
        [sys.executable, "-m", "studienav", "migrate", "-v0"], env=env, check=True, timeout=300
    )
    done = subprocess.run(
        [sys.executable, "-m", "studienav", "import-studies", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    # The command line speaks the site's language (Swedish once translated): compare the
    # structure, not the words.
    assert done.stderr.strip().startswith(f"{bad}: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert re.findall(r"\d+", done.stdout.strip()) == ["0", "0", "0", "1", "0"]
