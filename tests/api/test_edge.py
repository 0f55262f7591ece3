"""The API's edge: every answer, even a failure, is a problem a machine can read; each client
behind the node's proxy has its own budget."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.api.conftest import StudyMaker
from tests.api.urls import SECRET

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.content)
    assert body["status"] == status
    return body


def test_a_method_the_api_does_not_take_is_a_problem_naming_the_allowed_ones(
    client: Client,
) -> None:
    response = client.post("/api/v1/studies")
    body = _problem(response, 405)
    assert response["Allow"] == "GET"
    assert "GET" in body["detail"]


def test_a_method_fhir_does_not_take_is_an_operation_outcome(client: Client) -> None:
    response = client.delete("/fhir/metadata")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/fhir+json"
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"


@pytest.mark.urls("tests.api.urls")
@override_settings(DEBUG=True)
def test_an_unexpected_error_is_a_problem_without_a_traceback_even_in_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).get("/api/v1/failing/boom")
    body = _problem(response, 500)
    text = response.content.decode()
    assert "Traceback" not in text and SECRET not in text
    assert body["errors"] == []
    assert any(SECRET in str(r.exc_info and r.exc_info[1]) for r in caplog.records)


@pytest.mark.urls("tests.api.urls")
@override_settings(DEBUG=True)
def test_an_unexpected_fhir_error_is_an_operation_outcome_without_a_traceback() -> None:
    response = Client(raise_request_exception=False).get("/fhir/Failing")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/fhir+json"
    text = response.content.decode()
    assert "Traceback" not in text and SECRET not in text
    assert json.loads(text)["issue"][0]["code"] == "exception"


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/sites?organisation=99999999999999999999999",
        "/api/v1/studies?site=99999999999999999999999",
    ],
)
def test_a_number_no_database_holds_is_a_bad_parameter(client: Client, query: str) -> None:
    name = query.split("?")[1].split("=")[0]
    body = _problem(client.get(query), 400)
    assert [e["parameter"] for e in body["errors"]] == [name]


@override_settings(API_RATE_LIMIT=3, TRUSTED_PROXY_HOPS=1)
def test_behind_the_proxy_each_client_has_its_own_budget(
    client: Client, make_study: StudyMaker
) -> None:
    def get(forwarded: str) -> int:
        return client.get(
            "/api/v1/regions", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    assert [get("198.51.100.23") for _ in range(3)] == [200, 200, 200]
    assert get("203.0.113.1, 198.51.100.23") == 429
    assert get("192.0.2.7") == 200
