"""The FHIR R5 facade: every resource it answers validates with the fhir.resources models."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from fhir.resources.bundle import Bundle
from fhir.resources.capabilitystatement import CapabilityStatement
from fhir.resources.location import Location
from fhir.resources.operationoutcome import OperationOutcome
from fhir.resources.organization import Organization
from fhir.resources.researchstudy import ResearchStudy

from studienav.registry.models import StudyState
from tests.api.conftest import StudyMaker

pytestmark = pytest.mark.django_db

NCT = {"scheme": "nct", "value": "NCT02552212", "is_primary": True}
EU_CT = {"scheme": "eu_ct", "value": "2023-501234-12-00"}
OREBRO_SITE = {
    "organisation": "Universitetssjukhuset Örebro",
    "city": "Örebro",
    "region": "18",
    "recruitment_status": "recruiting",
}


def _fhir(response: Any, model: Any, status: int = 200) -> dict[str, Any]:
    """The body, after checking the content type and validating it with its R5 model."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json"
    body: dict[str, Any] = json.loads(response.content)
    model.model_validate(body)
    return body


def _bundle(response: Any) -> dict[str, Any]:
    bundle = _fhir(response, Bundle)
    assert bundle["type"] == "searchset"
    for entry in bundle.get("entry", []):
        ResearchStudy.model_validate(entry["resource"])
    return bundle


def _bundle_ids(response: Any) -> list[str]:
    return [entry["resource"]["id"] for entry in _bundle(response).get("entry", [])]


def test_metadata_is_a_capability_statement_naming_the_identifier_systems(client: Client) -> None:
    statement = _fhir(client.get("/fhir/metadata"), CapabilityStatement)
    assert statement["fhirVersion"] == "5.0.0"
    rest = statement["rest"][0]
    resource = rest["resource"][0]
    assert resource["type"] == "ResearchStudy"
    names = {p["name"] for p in resource["searchParam"]}
    assert names >= {"title", "condition", "status", "phase", "identifier", "site", "_count"}
    for uri in (
        "https://clinicaltrials.gov",
        "https://euclinicaltrials.eu",
        "https://www.clinicaltrialsregister.eu",
        "https://etikprovningsmyndigheten.se/diarienummer",
        "https://www.isrctn.com",
    ):
        assert uri in rest["documentation"]


def test_a_study_reads_by_our_id_and_by_its_nct_number(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(identifiers=[NCT, EU_CT], actual_enrolment=40)
    for key in (str(study.pk), "NCT02552212", "2023-501234-12-00"):
        resource = _fhir(client.get(f"/fhir/ResearchStudy/{key}"), ResearchStudy)
        assert resource["id"] == str(study.pk)
    assert resource["title"] == study.public_title
    assert resource["status"] == "active"
    systems = {i.get("system"): i["value"] for i in resource["identifier"]}
    assert systems["https://clinicaltrials.gov"] == "NCT02552212"
    assert systems["https://euclinicaltrials.eu"] == "2023-501234-12-00"
    assert resource["progressStatus"][0]["state"]["coding"][0]["code"] == "recruiting"
    assert resource["phase"]["coding"][0]["code"] == "phase-2"
    assert resource["recruitment"] == {"targetNumber": 120, "actualNumber": 40}
    assert resource["condition"][0]["coding"][0]["code"] == "E11"
    assert resource["site"][0]["reference"].startswith("Location/")


def test_a_study_that_is_not_public_is_an_operation_outcome_404(
    client: Client, make_study: StudyMaker
) -> None:
    draft = make_study(state=StudyState.SUBMITTED, identifiers=[NCT])
    for path in (f"/fhir/ResearchStudy/{draft.pk}", "/fhir/ResearchStudy/NCT02552212"):
        outcome = _fhir(client.get(path), OperationOutcome, 404)
        assert outcome["issue"][0]["code"] == "not-found"
    _fhir(client.get("/fhir/Patient/1"), OperationOutcome, 404)


def test_sites_read_as_location_and_organization(client: Client, make_study: StudyMaker) -> None:
    study = make_study()
    resource = _fhir(client.get(f"/fhir/ResearchStudy/{study.pk}"), ResearchStudy)
    place = _fhir(client.get(f"/fhir/{resource['site'][0]['reference']}"), Location)
    assert place["name"] == "Akademiska sjukhuset"
    assert place["address"]["city"] == "Uppsala"
    assert place["address"]["state"] == "Region Uppsala"
    assert place["position"] == {"latitude": 59.85, "longitude": 17.64}
    organisation = _fhir(
        client.get(f"/fhir/{place['managingOrganization']['reference']}"), Organization
    )
    assert organisation["name"] == "Akademiska sjukhuset"
    _fhir(client.get("/fhir/Location/999999"), OperationOutcome, 404)
    _fhir(client.get("/fhir/Organization/x"), OperationOutcome, 404)


def test_search_by_title_condition_status_phase_identifier_and_site(
    client: Client, make_study: StudyMaker
) -> None:
    diabetes = make_study(identifiers=[NCT])
    heart = make_study(
        public_title="Hjärtsviktsstudien",
        overall_status="completed",
        phase="3",
        conditions=[{"name": "Hjärtsvikt", "icd10": "I50"}],
        sites=[OREBRO_SITE],
    )
    make_study(state=StudyState.DRAFT, public_title="Hjärtsvikt, utkast")
    d, h = str(diabetes.pk), str(heart.pk)
    search = "/fhir/ResearchStudy"
    assert _bundle_ids(client.get(search, {"title": "hjärtsvikt"})) == [h]
    assert _bundle_ids(client.get(search, {"condition": "I50"})) == [h]
    assert _bundle_ids(client.get(search, {"condition": "diabetes"})) == [d]
    assert _bundle_ids(client.get(search, {"status": "recruiting"})) == [d]
    assert _bundle_ids(client.get(search, {"status": "completed,recruiting"})) == [d, h]
    assert _bundle_ids(client.get(search, {"phase": "phase-3"})) == [h]
    assert _bundle_ids(client.get(search, {"identifier": "NCT02552212"})) == [d]
    both = {"identifier": "https://clinicaltrials.gov|NCT02552212"}
    assert _bundle_ids(client.get(search, both)) == [d]
    assert _bundle_ids(client.get(search, {"site": "Örebro"})) == [h]
    assert _bundle_ids(client.get(search, {"site": "03"})) == [d]
    assert _bundle_ids(client.get(search, {"site": "Uppsala"})) == [d]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"status": "open"}, "recruiting"),
        ({"phase": "phase-9"}, "phase-3"),
        ({"_count": "0"}, "_count"),
        ({"colour": "blue"}, "colour"),
        ({"_cursor": "garbage"}, "cursor"),
        ({"title": "diabetes\x00"}, "NUL"),
    ],
)
def test_a_bad_search_is_an_operation_outcome_400(
    client: Client, query: dict[str, str], says: str
) -> None:
    outcome = _fhir(client.get("/fhir/ResearchStudy", query), OperationOutcome, 400)
    assert says in outcome["issue"][0]["diagnostics"]


def test_search_pages_with_total_and_self_and_next_links(
    client: Client, make_study: StudyMaker
) -> None:
    studies = [make_study(public_title=f"Studie {n}") for n in range(3)]
    bundle = _bundle(client.get("/fhir/ResearchStudy", {"_count": 2}))
    assert bundle["total"] == 3
    assert len(bundle["entry"]) == 2
    links = {link["relation"]: link["url"] for link in bundle["link"]}
    assert set(links) == {"self", "next"}
    following = urlsplit(links["next"])
    assert "_count=2" in following.query
    last = _bundle(client.get(f"{following.path}?{following.query}"))
    assert last["total"] == 3
    seen = [e["resource"]["id"] for e in bundle["entry"] + last["entry"]]
    assert sorted(seen) == sorted(str(s.pk) for s in studies)
    assert [link["relation"] for link in last["link"]] == ["self"]


def test_search_understands_swedish_words_synonyms_and_a_typo(
    client: Client, make_study: StudyMaker
) -> None:
    breast = make_study(
        public_title="Fysisk aktivitet efter bröstcancern",
        conditions=[{"name": "Bröstcancer", "icd10": "C50"}],
    )
    english = make_study(
        public_title="Breath and sleep",
        public_title_en="Breath and sleep",
        conditions=[{"name": "Asthma"}],
    )
    make_study(public_title="Astma hos barn", conditions=[{"name": "Eksem"}])
    search = "/fhir/ResearchStudy"
    assert _bundle_ids(client.get(search, {"title": "bröstcancer"})) == [str(breast.pk)]
    assert _bundle_ids(client.get(search, {"title": "breast cancer"})) == [str(breast.pk)]
    assert _bundle_ids(client.get(search, {"condition": "astma"})) == [str(english.pk)]
    either = _bundle_ids(
        client.get(search, {"condition": "asthma,http://hl7.org/fhir/sid/icd-10|C50"})
    )
    assert sorted(either) == sorted([str(breast.pk), str(english.pk)])
    assert _bundle_ids(client.get(search, {"title": "brostcanser"})) == [str(breast.pk)]


def test_title_searches_the_titles_not_the_rest_of_the_text(
    client: Client, make_study: StudyMaker
) -> None:
    titled = make_study(public_title="Sömn vid diabetes")
    make_study(public_title="Motion", summary_sv="Om sömn hos äldre.")
    assert _bundle_ids(client.get("/fhir/ResearchStudy", {"title": "sömn"})) == [str(titled.pk)]


@pytest.mark.parametrize(
    "identifier",
    [
        "nct 02552212",
        "NCT02552212 ",
        "https://clinicaltrials.gov|nct02552212",
        "2023-501234-12-00",
        "https://euclinicaltrials.eu|2023-501234-12-00",
        "EudraCT 2015-001234-56",
        "Dnr 2019-01234",
        "https://etikprovningsmyndigheten.se/diarienummer|dnr 2019-01234",
        "2012/123-31",
        "fou-2021-17",
        "NCT99999999,2012/123-31",
    ],
)
def test_search_by_identifier_in_any_writing(
    client: Client, make_study: StudyMaker, identifier: str
) -> None:
    study = make_study(
        identifiers=[
            NCT,
            EU_CT,
            {"scheme": "eudract", "value": "2015-001234-56"},
            {"scheme": "ethics", "value": "Dnr 2019-01234"},
            {"scheme": "ethics", "value": "2012/123-31"},
            {"scheme": "local", "value": "FoU-2021-17", "region": "03"},
        ]
    )
    make_study(public_title="Utan nummer")
    found = _bundle_ids(client.get("/fhir/ResearchStudy", {"identifier": identifier}))
    assert found == [str(study.pk)]


@pytest.mark.parametrize(
    "identifier",
    [
        "https://www.isrctn.com|NCT02552212",
        "https://example.org/unknown|NCT02552212",
        "urn:studienav:study|abc",
        "NCT99999999",
    ],
)
def test_an_identifier_of_another_system_finds_nothing(
    client: Client, make_study: StudyMaker, identifier: str
) -> None:
    make_study(identifiers=[NCT])
    bundle = _bundle(client.get("/fhir/ResearchStudy", {"identifier": identifier}))
    assert bundle["total"] == 0 and "entry" not in bundle


def test_search_by_our_own_id(client: Client, make_study: StudyMaker) -> None:
    study = make_study()
    make_study()
    both = {"identifier": f"urn:studienav:study|{study.pk}"}
    assert _bundle_ids(client.get("/fhir/ResearchStudy", both)) == [str(study.pk)]


def test_a_site_in_a_city_without_studies_finds_nothing(
    client: Client, make_study: StudyMaker
) -> None:
    make_study()
    bundle = _bundle(client.get("/fhir/ResearchStudy", {"site": "Kiruna"}))
    assert bundle["total"] == 0
