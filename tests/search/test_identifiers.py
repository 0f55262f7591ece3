"""A study is found by any of its identifiers, however a person writes it: in the search box,
as the search's `q` (the API's too) and read from a query's words."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from studienav.registry.identifiers import (
    IdentifierLookup,
    identifier_lookups,
    identifiers_named,
)
from studienav.registry.models import Study, StudyState
from studienav.search.params import SearchParams
from studienav.search.services import study_search
from tests.search.conftest import GAVLE_SITE, StudyMaker

NCT = {"scheme": "nct", "value": "NCT02552212", "is_primary": True}
EU_CT = {"scheme": "eu_ct", "value": "2023-501234-12-00"}
EUDRACT = {"scheme": "eudract", "value": "2015-001234-56"}
ETHICS = {"scheme": "ethics", "value": "2023-01234-01"}
OLD_ETHICS = {"scheme": "ethics", "value": "Dnr 2019-01234"}
BOARD_ETHICS = {"scheme": "ethics", "value": "2012/123-31"}
LOCAL = {"scheme": "local", "value": "FoU-2021-17", "region": "03"}

# How people write the identifiers above: case, spacing, labels.
WRITTEN = [
    "NCT02552212",
    "nct02552212",
    "nct 02552212",
    "NCT02552212 ",
    " (NCT02552212),",
    "2023-501234-12-00",
    "EU CT 2023-501234-12-00",
    "2015-001234-56",
    "EudraCT 2015-001234-56",
    "eudract: 2015-001234-56",
    "2023-01234-01",
    "Dnr 2023-01234-01",
    "Dnr 2019-01234",
    "dnr. 2019-01234",
    "2019-01234",
    "2012/123-31",
    "Dnr 2012/123-31",
    "FoU-2021-17",
    "fou-2021-17",
    "FOU-2021-17",
]


def _found(**params: Any) -> list[int]:
    return [study.pk for study in study_search(SearchParams(**params)).studies]


@pytest.fixture
def identified(make_study: StudyMaker) -> Study:
    """A study with one identifier of each kind, and another one that holds none of them."""
    make_study(public_title="Diabetes hos barn", sites=[GAVLE_SITE])
    return make_study(
        public_title="Diabetes och motion",
        identifiers=[NCT, EU_CT, EUDRACT, ETHICS, OLD_ETHICS, BOARD_ETHICS, LOCAL],
    )


# -- reading a query ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "scheme", "value"),
    [
        ("nct 02552212", "nct", "NCT02552212"),
        ("NCT02552212 ", "nct", "NCT02552212"),
        ("2023-501234-12-00", "eu_ct", "2023-501234-12-00"),
        ("EudraCT 2015-001234-56", "eudract", "2015-001234-56"),
        ("Dnr 2019-01234", "ethics", "DNR 2019-01234"),
        ("2019-01234", "ethics", "DNR 2019-01234"),
        ("dnr 2023-01234-01", "ethics", "2023-01234-01"),
        ("2012/123-31", "ethics", "2012/123-31"),
        ("Dnr 2012/123-31", "ethics", "2012/123-31"),
        ("isrctn 12345678", "isrctn", "ISRCTN12345678"),
    ],
)
def test_an_identifier_is_read_in_any_case_spacing_and_with_its_label(
    written: str, scheme: str, value: str
) -> None:
    assert identifier_lookups(written) == (IdentifierLookup(scheme, value),)


def test_a_number_of_no_known_format_is_looked_for_as_a_local_or_other_number() -> None:
    lookups = identifier_lookups(" fou-2021-17 ")
    assert {lookup.scheme for lookup in lookups} == {"local", "other"}
    assert all("FoU-2021-17" in lookup.spellings() for lookup in lookups)


def test_the_words_around_an_identifier_are_left_to_the_text_search() -> None:
    named = identifiers_named("diabetes nct 02552212 barn")
    assert [(n.start, n.stop) for n in named] == [(1, 3)]
    assert named[0].lookups == (IdentifierLookup("nct", "NCT02552212"),)


def test_words_without_digits_name_no_identifier() -> None:
    assert identifiers_named("bröstcancer hos kvinnor") == []
    assert identifier_lookups("") == ()


@given(
    digits=st.integers(min_value=0, max_value=99_999_999),
    cases=st.lists(st.booleans(), min_size=3, max_size=3),
    space=st.sampled_from(["", " ", "  "]),
    around=st.sampled_from(["", " ", "\t", "(", ","]),
)
def test_any_writing_of_an_nct_number_reads_as_the_same_number(
    digits: int, cases: list[bool], space: str, around: str
) -> None:
    label = "".join(c.upper() if up else c for c, up in zip("nct", cases, strict=True))
    written = f"{around}{label}{space}{digits:08d}{around}"
    assert identifier_lookups(written) == (IdentifierLookup("nct", f"NCT{digits:08d}"),)


# -- the search ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("written", WRITTEN)
def test_the_search_finds_a_study_by_any_of_its_identifiers(
    identified: Study, written: str
) -> None:
    assert _found(q=written) == [identified.pk]


@pytest.mark.django_db
def test_other_words_beside_an_identifier_still_narrow(identified: Study) -> None:
    assert _found(q="NCT02552212 diabetes") == [identified.pk]
    assert _found(q="diabetes Dnr 2019-01234") == [identified.pk]
    assert _found(q="NCT02552212 astma") == []


@pytest.mark.django_db
def test_an_identifier_no_public_study_holds_is_searched_as_text(make_study: StudyMaker) -> None:
    make_study(state=StudyState.SUBMITTED, identifiers=[NCT])
    mentioned = make_study(public_title="Uppföljning av NCT02552212")
    assert _found(q="NCT02552212") == [mentioned.pk]
    assert _found(q="NCT99999999") == []


@pytest.mark.django_db
def test_a_local_number_of_several_words_is_found_whole(make_study: StudyMaker) -> None:
    local = {"scheme": "local", "value": "FoU 2023 /17", "region": "03"}
    study = make_study(public_title="Sömn", identifiers=[local])
    make_study(public_title="Sömn 2023")
    assert _found(q="fou 2023 /17") == [study.pk]


@pytest.mark.django_db
def test_two_identifiers_find_both_studies(make_study: StudyMaker) -> None:
    first = make_study(identifiers=[NCT])
    second = make_study(identifiers=[EU_CT])
    assert set(_found(q="NCT02552212 2023-501234-12-00")) == {first.pk, second.pk}


@pytest.mark.django_db
def test_filters_apply_to_a_study_found_by_its_identifier(identified: Study) -> None:
    assert _found(q="NCT02552212", statuses=["recruiting"]) == [identified.pk]
    assert _found(q="NCT02552212", statuses=["completed"]) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "written", ["nct 02552212", "NCT02552212 ", "2023-501234-12-00", "2012/123-31"]
)
def test_the_search_box_finds_a_study_by_its_identifier(
    client: Client, identified: Study, written: str
) -> None:
    response = client.get("/studies/", {"q": written})
    assert response.status_code == 200
    assert [s.pk for s in response.context["result"].studies] == [identified.pk]
