"""Hostile searches: one very long word, or very many words, from anyone on the internet.

Each must be answered at once through every door (portal, API, FHIR), never with a 500: a
long word is matched as written (no typo patterns), and a query of more words than a search
reads is refused with 400 naming `q`. The number of LIKE patterns a query builds is bounded.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from studienav.core.errors import ValidationFailed
from studienav.search.services import (
    MAX_QUERY_LENGTH,
    SearchParams,
    _like_regex,
    study_search,
)
from studienav.search.text import (
    MAX_PATTERNS,
    MAX_TERMS,
    MAX_WORDS,
    TYPO_GUARD_FROM,
    TYPO_MAX_LENGTH,
    TYPO_MIN_LENGTH,
    patterns_counted,
    query_terms,
    typo_guard,
    typo_patterns,
)
from tests.search.conftest import StudyMaker

pytestmark = pytest.mark.django_db


def _word(length: int, offset: int = 0) -> str:
    """A word of that many letters that names nothing (no study, no condition)."""
    letters = string.ascii_lowercase
    return "".join(letters[(i * 7 + offset) % 26] for i in range(length))


LONG_200 = _word(200)
LONG_300 = _word(300)
# Four letters a word: a hundred of them still fit in MAX_QUERY_LENGTH characters.
HUNDRED_WORDS = " ".join(_word(4, offset=n) for n in range(100))
# As many words as a query may hold, each as long as fits in MAX_QUERY_LENGTH characters.
MOST_WORDS = " ".join(_word(MAX_QUERY_LENGTH // MAX_WORDS - 1, offset=n) for n in range(MAX_WORDS))


@pytest.fixture
def studies(make_study: StudyMaker) -> None:
    make_study(public_title="Diabetes och motion", summary_sv="Träning för vuxna med diabetes")
    make_study(public_title="Astma hos barn", summary_sv="Inhalationer i skolåldern")


# -- through the three doors ---------------------------------------------------------------


DOORS = [
    pytest.param("/studies/", "q", id="portal"),
    pytest.param("/api/v1/studies", "q", id="api"),
    pytest.param("/fhir/ResearchStudy", "title", id="fhir"),
]


@pytest.mark.usefixtures("studies")
@pytest.mark.parametrize(("path", "name"), DOORS)
@pytest.mark.parametrize("word", [LONG_200, LONG_300], ids=["200-letters", "300-letters"])
def test_one_very_long_word_finds_nothing_and_answers_200(
    client: Client, path: str, name: str, word: str
) -> None:
    response = client.get(path, {name: word})
    assert response.status_code == 200
    if path.startswith("/api/"):
        assert response.json()["total"] == 0
    elif path.startswith("/fhir/"):
        assert json.loads(response.content)["total"] == 0


@pytest.mark.usefixtures("studies")
def test_a_long_word_that_is_in_a_study_is_still_found(make_study: StudyMaker) -> None:
    study = make_study(public_title="Lång", summary_sv=f"ord {LONG_200} ord")
    assert [s.pk for s in study_search(SearchParams(q=LONG_200)).studies] == [study.pk]


@pytest.mark.usefixtures("studies")
@pytest.mark.parametrize("path", ["/studies/", "/api/v1/studies"], ids=["portal", "api"])
def test_as_many_words_as_allowed_answer_200(client: Client, path: str) -> None:
    assert len(MOST_WORDS.split()) == MAX_WORDS
    response = client.get(path, {"q": MOST_WORDS})
    assert response.status_code == 200


@pytest.mark.usefixtures("studies")
def test_a_hundred_words_are_refused_by_the_api_naming_q(client: Client) -> None:
    response = client.get("/api/v1/studies", {"q": HUNDRED_WORDS})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert [error["parameter"] for error in body["errors"]] == ["q"]
    assert str(MAX_WORDS) in body["detail"]


@pytest.mark.usefixtures("studies", "english")
def test_a_hundred_words_are_refused_by_the_portal_with_the_reason(client: Client) -> None:
    response = client.get("/en/studies/", {"q": HUNDRED_WORDS})
    assert response.status_code == 400
    assert f"Search for at most {MAX_WORDS} words." in response.content.decode()


@pytest.mark.usefixtures("studies")
def test_a_hundred_words_of_a_fhir_title_are_refused_naming_title(client: Client) -> None:
    response = client.get("/fhir/ResearchStudy", {"title": HUNDRED_WORDS})
    assert response.status_code == 400
    assert json.loads(response.content)["issue"][0]["diagnostics"].startswith("title:")


@pytest.mark.usefixtures("studies")
def test_a_condition_with_too_many_words_is_refused_naming_condition(client: Client) -> None:
    response = client.get("/api/v1/studies", {"condition": HUNDRED_WORDS})
    assert response.status_code == 400
    assert [error["parameter"] for error in response.json()["errors"]] == ["condition"]


@pytest.mark.usefixtures("studies")
def test_a_condition_longer_than_a_query_may_be_is_refused(client: Client) -> None:
    response = client.get("/api/v1/studies", {"condition": _word(MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 400
    assert [error["parameter"] for error in response.json()["errors"]] == ["condition"]


@pytest.mark.usefixtures("studies")
def test_conditions_with_more_words_in_all_than_a_query_are_refused(client: Client) -> None:
    conditions = [" ".join(_word(20, offset=n + k) for k in range(8)) for n in range(20)]
    response = client.get("/api/v1/studies", {"condition": conditions})
    assert response.status_code == 400
    assert [error["parameter"] for error in response.json()["errors"]] == ["condition"]


@pytest.mark.usefixtures("studies")
def test_as_many_condition_words_as_allowed_answer_200(client: Client) -> None:
    conditions = [f"{_word(20, offset=n)} {_word(20, offset=n + 1)}" for n in range(16)]
    response = client.get("/api/v1/studies", {"condition": conditions, "q": MOST_WORDS})
    assert response.status_code == 200
    assert response.json()["total"] == 0


# -- the patterns a query builds ----------------------------------------------------------------


def test_typo_patterns_only_for_words_of_a_sensible_length() -> None:
    assert typo_patterns(_word(TYPO_MIN_LENGTH - 1)) == []
    assert typo_patterns(_word(TYPO_MIN_LENGTH))
    assert typo_patterns(_word(TYPO_MAX_LENGTH))
    assert typo_patterns(_word(TYPO_MAX_LENGTH + 1)) == []
    assert typo_patterns(LONG_200) == []


def test_a_very_long_word_is_one_pattern() -> None:
    (term,) = query_terms(LONG_300)
    assert len(term.patterns) == 1


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(MOST_WORDS, id="most-words"),
        pytest.param(HUNDRED_WORDS, id="hundred-words"),
        pytest.param(" ".join([_word(TYPO_MAX_LENGTH)] * 16), id="long-words"),
        pytest.param(" ".join(f"C{n:02}.{n % 10}" for n in range(80)), id="icd-codes"),
        pytest.param("astma diabetes cancer stroke hjärtsvikt demens epilepsi reumatism " * 4),
        pytest.param(_word(MAX_QUERY_LENGTH), id="one-word"),
    ],
)
def test_a_query_builds_a_bounded_number_of_patterns(query: str) -> None:
    assert patterns_counted(query_terms(query)) <= MAX_PATTERNS
    assert len(query_terms(query)) <= MAX_TERMS


def test_a_correct_short_query_keeps_its_typo_patterns() -> None:
    (term,) = query_terms("diabetis")
    assert term.typos


def test_typo_patterns_go_to_the_first_words_when_the_budget_runs_out() -> None:
    words = [_word(TYPO_MAX_LENGTH, offset=n) for n in range(MAX_TERMS)]
    terms = query_terms(" ".join(words))
    assert len(terms) == MAX_TERMS
    assert terms[0].typos
    assert not terms[-1].typos
    assert all(term.exact for term in terms)


def _parse(**values: Any) -> SearchParams:
    query = QueryDict(mutable=True)
    for name, value in values.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    return SearchParams.from_query(query)


def test_more_words_than_a_query_may_hold_are_refused_naming_q() -> None:
    with pytest.raises(ValidationFailed) as caught:
        _parse(q=" ".join(["ord"] * (MAX_WORDS + 1)))
    assert caught.value.field == "q"
    assert caught.value.code == "too_many_words"


def test_as_many_words_as_a_query_may_hold_are_accepted() -> None:
    assert _parse(q=" ".join(["ord"] * MAX_WORDS)).q


# -- the guard that lets PostgreSQL's index find a long word's typos --------------------------


def test_a_long_misspelt_compound_still_finds_its_study(make_study: StudyMaker) -> None:
    study = make_study(public_title="Strokerehabilitering i hemmet")
    make_study(public_title="Astma hos barn")
    word = "strokerehabilitring"
    assert len(word) >= TYPO_GUARD_FROM
    result = study_search(SearchParams(q=word))
    assert [s.pk for s in result.studies] == [study.pk]
    assert result.spelled_alike


def test_short_words_have_no_guard() -> None:
    assert typo_guard("diabetis") == ()
    assert typo_guard(_word(TYPO_GUARD_FROM))


def _one_typo(word: str, kind: int, position: int, letter: str) -> str:
    i = position % len(word)
    if kind == 0:
        return word[:i] + letter + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + letter + word[i:]


@given(
    word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=TYPO_GUARD_FROM, max_size=30),
    kind=st.integers(0, 2),
    position=st.integers(0, 29),
    letter=st.sampled_from("aeioukst"),
    before=st.sampled_from(["", "en studie om "]),
)
def test_every_text_a_typo_pattern_finds_is_found_by_the_guard(
    word: str, kind: int, position: int, letter: str, before: str
) -> None:
    text = f" {before}{_one_typo(word, kind, position, letter)} efter "
    if not any(re.search(_like_regex(p), text) for p in typo_patterns(word)):
        return  # e.g. the typo gave the word back: the exact pattern finds it
    assert any(re.search(_like_regex(p), text) for p in typo_guard(word))
