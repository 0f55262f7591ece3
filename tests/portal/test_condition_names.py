"""A study page names a record's conditions in the page's language where the vocabulary has a
name, with the record's own words beside it, marked with their language."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.search.conftest import StudyMaker

pytestmark = pytest.mark.django_db


def _english_record(make_study: StudyMaker, *conditions: dict[str, str]) -> int:
    study = make_study(
        source="ctgov",
        public_title="Digital CBT in Older Adults",
        public_title_en="Digital CBT in Older Adults",
        summary_sv="",
        summary_en="A randomised study.",
        conditions=list(conditions),
    )
    return int(study.pk)


def test_swedish_page_names_an_english_condition_in_swedish_and_keeps_the_original(
    client: Client, make_study: StudyMaker
) -> None:
    pk = _english_record(make_study, {"name": "Insomnia"})
    text = client.get(f"/studies/{pk}/").content.decode()
    assert 'Sömnlöshet <span class="muted">(<span lang="en">Insomnia</span>)</span>' in text


def test_an_icd10_code_names_a_condition_the_vocabulary_does_not_know_by_its_words(
    client: Client, make_study: StudyMaker
) -> None:
    pk = _english_record(make_study, {"name": "Late-Life Insomnia", "icd10": "G47.0"})
    text = client.get(f"/studies/{pk}/").content.decode()
    assert 'Sömnlöshet <span class="muted">(<span lang="en">Late-Life Insomnia</span>)' in text


def test_a_condition_the_vocabulary_does_not_know_is_shown_as_written(
    client: Client, make_study: StudyMaker
) -> None:
    pk = _english_record(make_study, {"name": "Night Owl Chronotype"})
    text = client.get(f"/studies/{pk}/").content.decode()
    assert '<li class="tag"><span lang="en">Night Owl Chronotype</span></li>' in text


def test_english_page_shows_an_english_record_s_condition_as_written(
    client: Client, make_study: StudyMaker
) -> None:
    pk = _english_record(make_study, {"name": "Insomnia"})
    text = client.get(f"/en/studies/{pk}/").content.decode()
    assert '<li class="tag"><span>Insomnia</span></li>' in text
    assert "Sömnlöshet" not in text


def test_swedish_record_keeps_its_own_swedish_words(client: Client, make_study: StudyMaker) -> None:
    study = make_study(
        public_title="Blodtryck i primärvården",
        conditions=[{"name": "Essentiell hypertoni", "icd10": "I10"}],
    )
    text = client.get(f"/studies/{study.pk}/").content.decode()
    assert '<li class="tag"><span>Essentiell hypertoni</span>' in text
    assert "Högt blodtryck" not in text


def test_english_page_names_a_swedish_condition_in_english(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(public_title="Sömn hos äldre", conditions=[{"name": "sömnlöshet"}])
    text = client.get(f"/en/studies/{study.pk}/").content.decode()
    assert 'Insomnia <span class="muted">(<span lang="sv">sömnlöshet</span>)</span>' in text
