"""The command line: counts-load, counts-query and omop-synth, as scripts use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

OA = {
    "primary": {"domain": "condition", "source": "era", "concepts": {"concept_ids": [80180]}},
    "sex": ["female"],
}


def query(tmp_path: Path, data: dict, *args: str) -> tuple[list[str], str]:
    from io import StringIO

    path = tmp_path / "definition.json"
    path.write_text(json.dumps(data))
    out, err = StringIO(), StringIO()
    call_command("counts_query", "--region", "03", str(path), *args, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines(), err.getvalue()


@pytest.mark.django_db
def test_exact_count_in_test_mode_ends_with_the_number(tmp_path, eunomia_store, eunomia_sql):
    expected = eunomia_sql.execute(
        """SELECT count(DISTINCT e.person_id) FROM condition_era e JOIN person p USING (person_id)
           JOIN observation_period op ON op.person_id = e.person_id
            AND e.condition_era_start_date
                BETWEEN op.observation_period_start_date AND op.observation_period_end_date
           WHERE p.gender_concept_id = 8532 AND e.condition_concept_id IN (
             SELECT descendant_concept_id FROM concept_ancestor
             WHERE ancestor_concept_id = 80180)"""
    ).fetchone()[0]
    with override_settings(COUNTS_TEST_MODE=True):
        lines, _ = query(tmp_path, OA, "--exact")
    assert lines[-1] == str(expected)


@pytest.mark.django_db
def test_exact_without_test_mode_is_refused(tmp_path, eunomia_store):
    with override_settings(COUNTS_TEST_MODE=False), pytest.raises(SystemExit) as raised:
        query(tmp_path, OA, "--exact")
    assert raised.value.code != 0


@pytest.mark.django_db
def test_protected_count_last_line_is_the_answer_alone(tmp_path, eunomia_store):
    lines, _ = query(tmp_path, OA)
    assert lines[-1] == "<11" or lines[-1].isdigit()


@pytest.mark.django_db
def test_circe_file_is_answered(tmp_path, eunomia_store):
    from tests.counts.test_circe import OA_CELECOXIB

    with override_settings(COUNTS_TEST_MODE=True):
        lines, _ = query(tmp_path, OA_CELECOXIB, "--exact")
    assert lines[-1].isdigit()


@pytest.mark.django_db
def test_bad_definition_names_the_field(tmp_path, eunomia_store, capsys):
    with pytest.raises(SystemExit) as raised:
        query(tmp_path, {"age": {"min": "old"}})
    assert raised.value.code == 1


def test_counts_load_reports_a_bad_file(tmp_path, capsys):
    folder = tmp_path / "omop"
    folder.mkdir()
    (folder / "PERSON.csv").write_text("PERSON_ID,GENDER_CONCEPT_ID,YEAR_OF_BIRTH\n1,8507,abc\n")
    (folder / "OBSERVATION_PERIOD.csv").write_text(
        "PERSON_ID,OBSERVATION_PERIOD_START_DATE,OBSERVATION_PERIOD_END_DATE\n1,2010-01-01,2020-01-01\n"
    )
    with override_settings(COUNTS_DATA_DIR=tmp_path / "store"), pytest.raises(SystemExit):
        call_command("counts_load", "--region", "07", str(folder))
    assert "PERSON.csv:2: year_of_birth" in capsys.readouterr().err


def test_omop_synth_then_counts_load(tmp_path, capsys):
    with override_settings(COUNTS_DATA_DIR=tmp_path / "store"):
        call_command(
            "omop_synth", "--persons", "500", "--output", str(tmp_path / "synth"), "--seed", "3"
        )
        call_command("counts_load", "--region", "07", str(tmp_path / "synth"))
    assert "region 07 loaded" in capsys.readouterr().out
