"""A web request's statements are bounded in time (DATABASE_STATEMENT_TIMEOUT); one that runs
out is answered 503 with Retry-After in the form of its address, and nothing stays running.
Commands and other work outside requests are not bounded."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from studienav.core.timeouts import statement_timed_out

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.slow_urls")]


@pytest.fixture
def short_bound(settings: SettingsWrapper) -> None:
    settings.DATABASE_STATEMENT_TIMEOUT = 0.2


@pytest.mark.usefixtures("short_bound")
def test_the_api_answers_a_statement_that_ran_out_with_503_problem(client: Client) -> None:
    response = client.get("/api/v1/test-slow/search")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == 503
    assert body["detail"]


@pytest.mark.usefixtures("short_bound")
def test_fhir_answers_a_statement_that_ran_out_with_503_operation_outcome(
    client: Client,
) -> None:
    response = client.get("/fhir/TestSlow")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/fhir+json"
    assert int(response["Retry-After"]) > 0
    body = json.loads(response.content)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "timeout"


@pytest.mark.usefixtures("short_bound", "english")
def test_a_page_answers_503_in_the_visitors_language(client: Client) -> None:
    response = client.get("/en/test-slow/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "took too long" in page


@pytest.mark.usefixtures("short_bound")
def test_a_swedish_page_answers_503_in_swedish(client: Client) -> None:
    response = client.get("/test-slow/")
    assert response.status_code == 503
    assert '<html lang="sv">' in response.content.decode()


@pytest.mark.usefixtures("short_bound")
def test_a_streamed_body_is_bounded_as_well(client: Client) -> None:
    response = client.get("/test-slow-stream")
    assert response.status_code == 200
    with pytest.raises(DatabaseError) as stopped:
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert statement_timed_out(stopped.value)


@pytest.mark.usefixtures("short_bound")
def test_a_statement_that_finishes_in_time_is_answered_as_usual(client: Client) -> None:
    response = client.get("/test-quick")
    assert response.status_code == 200
    assert response.content == b"1"


@pytest.mark.usefixtures("short_bound")
def test_another_database_error_is_not_taken_for_a_timeout(client: Client) -> None:
    with pytest.raises(DatabaseError):
        client.get("/test-broken")


def _moderately_slow() -> None:
    """A statement of a few tenths of a second: longer than the bound the tests set."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_sleep(0.5)")
        else:
            cursor.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 3000000) SELECT count(*) FROM n"
            )
        cursor.fetchone()


def test_work_outside_a_request_is_not_bounded(settings: SettingsWrapper) -> None:
    settings.DATABASE_STATEMENT_TIMEOUT = 0.01
    _moderately_slow()


def test_the_bound_ends_with_the_request(client: Client, settings: SettingsWrapper) -> None:
    settings.DATABASE_STATEMENT_TIMEOUT = 0.01
    assert client.get("/test-slow/").status_code == 503
    _moderately_slow()


def test_no_bound_when_the_setting_is_zero(client: Client, settings: SettingsWrapper) -> None:
    settings.DATABASE_STATEMENT_TIMEOUT = 0
    assert client.get("/test-quick").status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own timeout")
def test_postgresql_cancels_the_statement_itself(client: Client, settings: SettingsWrapper) -> None:
    """The server stops the statement, so nothing runs on after the answer (or the client) has
    gone: no backend of this database is still sleeping."""
    settings.DATABASE_STATEMENT_TIMEOUT = 0.2
    assert client.get("/test-slow/").status_code == 503
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query LIKE 'SELECT pg_sleep(300)%%' AND state = 'active'"
        )
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/test-slow/", "/fhir/TestSlow"])
def test_the_bound_holds_and_ends_as_in_production(
    client: Client, settings: SettingsWrapper, path: str
) -> None:
    """Without a test's transaction around the request: the bound is set and reset on the
    connection itself, as for every request in production."""
    settings.DATABASE_STATEMENT_TIMEOUT = 0.2
    assert client.get("/test-quick").status_code == 200
    assert client.get(path).status_code == 503
    _moderately_slow()
