"""The open JSON API: search, reads by any identifier, history, bulk, errors, HTTP manners."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client, override_settings

from studienav.registry.models import OverallStatus, Study, StudyState
from studienav.registry.records import record_apply
from studienav.registry.schema import StudyRecord
from tests.api.conftest import StudyMaker

pytestmark = pytest.mark.django_db

NCT = {"scheme": "nct", "value": "NCT02552212", "is_primary": True}
EU_CT = {"scheme": "eu_ct", "value": "2023-501234-12-00"}
ETHICS = {"scheme": "ethics", "value": "2023-01234-01"}

OREBRO_SITE = {
    "organisation": "Universitetssjukhuset Örebro",
    "city": "Örebro",
    "region": "18",
    "latitude": 59.27,
    "longitude": 15.21,
    "recruitment_status": "recruiting",
}


def _json(response: Any) -> Any:
    return json.loads(response.content)


def _ids(response: Any) -> list[int]:
    return [s["id"] for s in _json(response)["studies"]]


def _streamed(response: Any) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def _problem(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = _json(response)
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    assert body["status"] == status
    return body


def test_anyone_sees_published_and_completed_studies_but_no_drafts(
    client: Client, make_study: StudyMaker
) -> None:
    published = make_study(public_title="Publicerad studie")
    completed = make_study(state=StudyState.COMPLETED, public_title="Avslutad studie")
    make_study(state=StudyState.SUBMITTED, public_title="Inskickad studie")
    make_study(state=StudyState.DRAFT, public_title="Utkast")
    response = client.get("/api/v1/studies")
    assert response.status_code == 200
    assert sorted(_ids(response)) == sorted([published.pk, completed.pk])
    assert _json(response)["total"] == 2


def test_a_study_shows_identifiers_conditions_sites_and_links(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(identifiers=[NCT])
    body = _json(client.get(f"/api/v1/studies/{study.pk}"))
    assert body["identifiers"] == [
        {
            "scheme": "nct",
            "value": "NCT02552212",
            "is_primary": True,
            "uri": "https://clinicaltrials.gov",
        }
    ]
    assert body["conditions"] == [{"name": "Diabetes mellitus typ 2", "icd10": "E11"}]
    assert body["sites"][0]["region"] == "03"
    assert body["sites"][0]["contact"]["name"] == "Anna Berg"
    assert body["eligibility"]["min_age_years"] == 18
    assert body["links"] == {
        "self": f"/api/v1/studies/{study.pk}",
        "html": f"/studies/{study.pk}/",
        "history": f"/api/v1/studies/{study.pk}/history",
        "fhir": f"/fhir/ResearchStudy/{study.pk}",
    }


def test_search_filters_by_status_phase_and_region_code_or_name(
    client: Client, make_study: StudyMaker
) -> None:
    uppsala = make_study(public_title="Diabetesstudien i Uppsala")
    orebro = make_study(
        public_title="Hjärtstudien i Örebro",
        overall_status="completed",
        phase="3",
        sites=[OREBRO_SITE],
        conditions=[{"name": "Hjärtsvikt", "icd10": "I50"}],
        max_age_years=None,
    )
    assert _ids(client.get("/api/v1/studies?status=recruiting")) == [uppsala.pk]
    both = client.get("/api/v1/studies?status=recruiting&status=completed")
    assert sorted(_ids(both)) == sorted([uppsala.pk, orebro.pk])
    assert _ids(client.get("/api/v1/studies?phase=3")) == [orebro.pk]
    assert _ids(client.get("/api/v1/studies?region=18")) == [orebro.pk]
    assert _ids(client.get("/api/v1/studies?region=Uppsala")) == [uppsala.pk]
    assert _ids(client.get("/api/v1/studies?region=%C3%96rebro")) == [orebro.pk]
    assert _ids(client.get("/api/v1/studies?q=Hj%C3%A4rtstudien")) == [orebro.pk]
    assert _ids(client.get("/api/v1/studies?condition=I50")) == [orebro.pk]
    assert _ids(client.get("/api/v1/studies?age=80")) == [orebro.pk]
    assert _ids(client.get("/api/v1/studies?care_setting=hospital")) == [uppsala.pk, orebro.pk]
    assert _ids(client.get("/api/v1/studies?care_setting=dental_care")) == []


def test_facets_count_studies_per_value_when_asked(client: Client, make_study: StudyMaker) -> None:
    make_study()
    make_study(overall_status="completed", sites=[OREBRO_SITE])
    plain = _json(client.get("/api/v1/studies"))
    assert plain["facets"] is None
    facets = _json(client.get("/api/v1/studies?facets=true"))["facets"]
    status = {f["value"]: f["count"] for f in facets["status"]}
    assert status == {"recruiting": 1, "completed": 1}
    regions = {f["value"]: f["count"] for f in facets["region"]}
    assert regions == {"03": 1, "18": 1}


@pytest.mark.parametrize(
    ("query", "parameter", "some_valid"),
    [
        ("status=recruting", "status", "recruiting"),
        ("phase=5", "phase", "3"),
        ("study_type=herbal", "study_type", "drug"),
        ("sponsor_type=private", "sponsor_type", "industry"),
        ("care_setting=home", "care_setting", "primary_care"),
        ("therapeutic_area=XXX", "therapeutic_area", "II"),
        ("sex=other", "sex", "female"),
        ("sort=random", "sort", "updated"),
        ("region=99", "region", "03 (Uppsala)"),
        ("region=Atlantis", "region", "18 (Örebro län)"),
        ("healthy_volunteers=perhaps", "healthy_volunteers", "true"),
        ("facets=sometimes", "facets", "false"),
        ("limit=1001", "limit", None),
        ("limit=0", "limit", None),
        ("limit=many", "limit", None),
        ("age=-1", "age", None),
        ("age=121", "age", None),
        ("radius_km=0", "radius_km", None),
        ("site=akademiska", "site", None),
        ("updated_since=yesterday", "updated_since", None),
        ("updated_since=2024-02-30", "updated_since", None),
        ("updated_since=2024-13-01T25:00", "updated_since", None),
        ("cursor=not-a-cursor", "cursor", None),
        ("near=Atlantis", "near", None),
        ("q=diabetes%00", "q", None),
        ("condition=%00", "condition", None),
    ],
)
def test_a_bad_parameter_is_named_with_its_valid_values(
    client: Client, make_study: StudyMaker, query: str, parameter: str, some_valid: str | None
) -> None:
    make_study()
    body = _problem(client.get(f"/api/v1/studies?{query}"))
    error = body["errors"][0]
    assert error["parameter"] == parameter
    assert error["message"]
    if some_valid is not None:
        assert some_valid in error["valid_values"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/studies?colour=blue",
        "/api/v1/studies.csv?colour=blue",
        "/api/v1/studies.jsonl?colour=blue",
        "/api/v1/regions?colour=blue",
        "/api/v1/organisations?colour=blue",
        "/api/v1/sites?colour=blue",
    ],
)
def test_an_unknown_parameter_is_refused(client: Client, path: str) -> None:
    body = _problem(client.get(path))
    assert body["errors"][0]["parameter"] == "colour"
    assert "limit" in body["errors"][0]["valid_values"] or path.startswith("/api/v1/regions")


@pytest.mark.parametrize(
    "key", ["NCT02552212", "nct02552212", "2023-501234-12-00", "2023-01234-01"]
)
def test_a_study_is_found_by_any_of_its_identifiers(
    client: Client, make_study: StudyMaker, key: str
) -> None:
    study = make_study(identifiers=[NCT, EU_CT, ETHICS])
    response = client.get(f"/api/v1/studies/{key}")
    assert response.status_code == 200
    assert _json(response)["id"] == study.pk


@pytest.mark.parametrize(
    "q",
    [
        "nct 02552212",
        "NCT02552212 ",
        "2023-501234-12-00",
        "EudraCT 2015-001234-56",
        "Dnr 2019-01234",
        "2012/123-31",
        "diabetes nct02552212",
    ],
)
def test_a_search_for_an_identifier_finds_its_study(
    client: Client, make_study: StudyMaker, q: str
) -> None:
    identifiers = [
        NCT,
        EU_CT,
        {"scheme": "eudract", "value": "2015-001234-56"},
        {"scheme": "ethics", "value": "Dnr 2019-01234"},
        {"scheme": "ethics", "value": "2012/123-31"},
    ]
    study = make_study(identifiers=identifiers)
    make_study(public_title="Diabetes hos barn")
    assert _ids(client.get("/api/v1/studies", {"q": q})) == [study.pk]


def test_the_bulk_answers_find_a_study_by_its_identifier(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(identifiers=[NCT])
    make_study(public_title="Diabetes hos barn")
    rows = list(
        csv.DictReader(
            io.StringIO(
                _streamed(client.get("/api/v1/studies.csv", {"q": "nct 02552212"})).decode()
            )
        )
    )
    assert [row["id"] for row in rows] == [str(study.pk)]


@pytest.mark.parametrize(("written", "expected"), [("y", True), ("t", True), ("n", False)])
def test_the_search_takes_the_values_the_api_validated(
    client: Client, make_study: StudyMaker, written: str, expected: bool
) -> None:
    healthy = make_study(public_title="Friska frivilliga", healthy_volunteers=True)
    patients = make_study(public_title="Patienter")
    response = client.get("/api/v1/studies", {"healthy_volunteers": written, "facets": written})
    assert _ids(response) == [healthy.pk if expected else patients.pk]
    assert (_json(response)["facets"] is not None) == expected


def test_a_study_that_is_not_public_is_not_found(client: Client, make_study: StudyMaker) -> None:
    draft = make_study(state=StudyState.SUBMITTED, identifiers=[NCT])
    _problem(client.get(f"/api/v1/studies/{draft.pk}"), 404)
    _problem(client.get("/api/v1/studies/NCT02552212"), 404)
    _problem(client.get(f"/api/v1/studies/{draft.pk}/history"), 404)
    _problem(client.get("/api/v1/studies/NCT99999999"), 404)
    _problem(client.get("/api/v1/studies/no-such-thing"), 404)
    _problem(client.get("/api/v1/no-such-endpoint"), 404)
    _problem(client.get("/api/v1/studies/%00"), 404)


def test_a_merged_duplicate_points_to_the_kept_study(
    client: Client, make_study: StudyMaker
) -> None:
    kept = make_study(identifiers=[NCT])
    duplicate = make_study(identifiers=[EU_CT])
    Study.objects.filter(pk=duplicate.pk).update(merged_into=kept)
    response = client.get(f"/api/v1/studies/{duplicate.pk}")
    assert response.status_code == 301
    assert response["Location"] == f"/api/v1/studies/{kept.pk}"
    assert _json(client.get("/api/v1/studies/2023-501234-12-00"))["id"] == kept.pk
    assert _ids(client.get("/api/v1/studies")) == [kept.pk]


def test_history_lists_each_published_version_with_what_it_changed(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(identifiers=[NCT])
    update = StudyRecord.model_validate(
        {
            "identifiers": [NCT],
            "public_title": study.public_title,
            "study_type": "drug",
            "sponsor_type": "academic",
            "overall_status": "completed",
        }
    )
    record_apply(record=update, by=None, reason="status changed")
    body = _json(client.get("/api/v1/studies/NCT02552212/history"))
    assert body["study_id"] == study.pk
    assert [v["number"] for v in body["versions"]] == [1, 2]
    latest = body["versions"][1]
    assert latest["changed_fields"] == ["overall_status"]
    assert latest["reason"] == "status changed"
    assert latest["data"]["overall_status"] == "completed"


def test_cursor_paging_is_stable_while_a_study_is_added(
    client: Client, make_study: StudyMaker
) -> None:
    originals = {make_study(public_title=f"Studie {n}").pk for n in range(5)}
    first = _json(client.get("/api/v1/studies?limit=2"))
    assert first["total"] == 5
    seen = [s["id"] for s in first["studies"]]
    make_study(public_title="Ny studie under tiden")
    cursor = first["next_cursor"]
    while cursor:
        page = _json(client.get("/api/v1/studies", {"limit": 2, "cursor": cursor}))
        seen += [s["id"] for s in page["studies"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert originals <= set(seen)


def test_unchanged_answers_are_not_sent_twice(client: Client, make_study: StudyMaker) -> None:
    make_study()
    first = client.get("/api/v1/studies")
    assert first["ETag"]
    assert first["Last-Modified"]
    again = client.get("/api/v1/studies", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    since = client.get("/api/v1/studies", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    make_study(public_title="En till")
    changed = client.get("/api/v1/studies", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200


def test_reads_are_open_to_other_origins(client: Client, make_study: StudyMaker) -> None:
    study = make_study()
    for path in ("/api/v1/studies", f"/api/v1/studies/{study.pk}", "/fhir/metadata"):
        response = client.get(path, HTTP_ORIGIN="https://example.org")
        assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/studies",
        HTTP_ORIGIN="https://example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]
    head = client.head("/api/v1/regions")
    assert head.status_code == 200
    assert head["Access-Control-Allow-Origin"] == "*"


@override_settings(API_RATE_LIMIT=3)
def test_a_client_over_the_rate_limit_is_told_when_to_come_back(client: Client) -> None:
    for _ in range(3):
        assert client.get("/api/v1/regions").status_code == 200
    response = client.get("/api/v1/regions")
    body = _problem(response, 429)
    assert body["title"]
    assert 1 <= int(response["Retry-After"]) <= 61
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.get("/api/v1/regions").status_code == 200


@override_settings(API_RATE_LIMIT=0)
def test_a_rate_limit_of_zero_turns_it_off(client: Client) -> None:
    for _ in range(20):
        assert client.get("/api/v1/regions").status_code == 200


def test_bulk_json_lines_stream_every_matching_study(
    client: Client, make_study: StudyMaker
) -> None:
    recruiting = [make_study(public_title=f"Rekryterande {n}") for n in range(3)]
    make_study(overall_status="completed")
    make_study(state=StudyState.DRAFT)
    response = client.get("/api/v1/studies.jsonl?status=recruiting")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    lines = _streamed(response).decode().splitlines()
    records = [StudyRecord.model_validate(json.loads(line)) for line in lines]
    assert sorted(r.id for r in records if r.id) == sorted(s.pk for s in recruiting)
    assert all(r.overall_status == OverallStatus.RECRUITING for r in records)


def test_bulk_csv_streams_a_documented_header_and_one_row_a_study(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(identifiers=[NCT], public_title="=HYPERLINK(1)")
    make_study(state=StudyState.SUBMITTED)
    response = client.get("/api/v1/studies.csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_streamed(response).decode())))
    assert len(rows) == 1
    assert rows[0]["id"] == str(study.pk)
    assert rows[0]["identifiers"] == "NCT02552212"
    assert rows[0]["regions"] == "03"
    assert rows[0]["public_title"] == "'=HYPERLINK(1)"
    spec = _json(client.get("/api/v1/openapi.json"))
    described = spec["paths"]["/api/v1/studies.csv"]["get"]["description"]
    assert all(column in described for column in rows[0])


def test_bulk_refuses_bad_parameters_before_streaming(client: Client) -> None:
    body = _problem(client.get("/api/v1/studies.csv?status=open"))
    assert body["errors"][0]["parameter"] == "status"


def test_regions_list_all_twenty_one(client: Client) -> None:
    regions = _json(client.get("/api/v1/regions"))
    assert len(regions) == 21
    uppsala = next(r for r in regions if r["code"] == "03")
    assert uppsala["name"] == "Region Uppsala"


def test_organisations_filter_by_region_type_and_name_and_page(
    client: Client, make_study: StudyMaker
) -> None:
    make_study()
    make_study(sites=[OREBRO_SITE])
    body = _json(client.get("/api/v1/organisations?region=%C3%96rebro&q=universitetssjukhuset"))
    assert [o["name"] for o in body["organisations"]] == ["Universitetssjukhuset Örebro"]
    assert body["organisations"][0]["region"] == "18"
    first = _json(client.get("/api/v1/organisations?limit=1"))
    assert first["total"] >= 2
    second = _json(
        client.get("/api/v1/organisations", {"limit": 1, "cursor": first["next_cursor"]})
    )
    assert second["organisations"][0]["id"] > first["organisations"][0]["id"]
    _problem(client.get("/api/v1/organisations?type=castle"))


def test_sites_show_only_sites_of_public_studies(client: Client, make_study: StudyMaker) -> None:
    public = make_study()
    make_study(state=StudyState.SUBMITTED, sites=[OREBRO_SITE])
    body = _json(client.get("/api/v1/sites"))
    assert [s["study_id"] for s in body["sites"]] == [public.pk]
    assert _json(client.get("/api/v1/sites?region=18"))["sites"] == []
    assert _json(client.get("/api/v1/sites?status=recruiting&region=03"))["total"] == 1
    organisation = body["sites"][0]["organisation_id"]
    assert _json(client.get(f"/api/v1/sites?organisation={organisation}"))["total"] == 1
    bad = _problem(client.get("/api/v1/sites?status=open"))
    assert "closed" in bad["errors"][0]["valid_values"]


def test_openapi_document_is_3_1_and_lists_valid_values(client: Client) -> None:
    spec = _json(client.get("/api/v1/openapi.json"))
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["version"] == "1"
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/studies"]["get"]["parameters"]}
    assert set(parameters) >= {"q", "status", "region", "limit", "cursor", "facets", "near"}
    assert all(p.get("description") or p["schema"].get("description") for p in parameters.values())
    assert "recruiting" in json.dumps(spec["components"]["schemas"])
    errors = spec["paths"]["/api/v1/studies"]["get"]["responses"]["400"]["content"]
    assert "application/problem+json" in errors


def test_docs_page_is_served_without_any_cdn_or_inline_script(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/studies" in html
    assert "recruiting" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html
    assert "style=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_reads_are_kept_until_a_published_study_changes(
    client: Client,
    make_study: StudyMaker,
    shared_cache: None,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = make_study(public_title="Astma hos barn")
    url = "/api/v1/studies?q=astma&facets=true"
    swedish = client.get(url)
    # The same read again: the kept answer, headers and all, without the database.
    with django_assert_max_num_queries(0):
        again = client.get(url)
    assert again.content == swedish.content
    assert again["ETag"] == swedish["ETag"] and again["Last-Modified"]
    assert again["Content-Type"] == "application/json; charset=utf-8"
    assert client.get(url, HTTP_IF_NONE_MATCH=swedish["ETag"]).status_code == 304
    study = _json(client.get(f"/api/v1/studies/{first.pk}"))
    with django_capture_on_commit_callbacks(execute=True):
        make_study(public_title="Astma hos vuxna")
    assert _json(client.get(url))["total"] == 2
    assert _json(client.get(f"/api/v1/studies/{first.pk}")) == study


def test_answers_are_in_the_language_asked_for(client: Client, make_study: StudyMaker) -> None:
    make_study()
    english = client.get("/api/v1/studies?near=Atlantis", HTTP_ACCEPT_LANGUAGE="en")
    swedish = client.get("/api/v1/studies?near=Atlantis", HTTP_ACCEPT_LANGUAGE="sv")
    unasked = client.get("/api/v1/studies?near=Atlantis")
    assert "We do not know the place Atlantis" in _problem(english)["errors"][0]["message"]
    assert _problem(english)["errors"][0]["message"] != _problem(swedish)["errors"][0]["message"]
    assert _problem(unasked)["errors"][0]["message"] == _problem(swedish)["errors"][0]["message"]
    assert english["Content-Language"] == "en" and "Accept-Language" in english["Vary"]
    # pydantic's own checks too.
    wrong = client.get("/api/v1/studies?status=nope&limit=x", HTTP_ACCEPT_LANGUAGE="en")
    messages = {e["parameter"]: e["message"] for e in _problem(wrong)["errors"]}
    assert messages == {
        "status": "nope is not one of the valid values.",
        "limit": "Give a whole number.",
    }
    svenska = client.get("/api/v1/studies?status=nope&limit=x", HTTP_ACCEPT_LANGUAGE="sv")
    assert "Give" not in json.dumps(_problem(svenska)["errors"])
    labels = _json(client.get("/api/v1/studies?facets=true", HTTP_ACCEPT_LANGUAGE="en"))
    assert labels["facets"]["status"][0]["label"] == "Recruiting"
