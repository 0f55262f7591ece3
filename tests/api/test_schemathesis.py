"""Requests generated from the OpenAPI document: no 5xx, and every answer fits the document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from studienav.wsgi import application
from tests.api.conftest import StudyMaker

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def some_studies(make_study: StudyMaker) -> Iterator[None]:
    make_study(identifiers=[{"scheme": "nct", "value": "NCT02552212", "is_primary": True}])
    make_study(public_title="Hjärtstudien", overall_status="completed", phase="3")
    # As Django's test client does: the WSGI app must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with override_settings(API_RATE_LIMIT=0):
            yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_conform_to_its_openapi_document(
    case: schemathesis.Case, some_studies: None
) -> None:
    case.call_and_validate(checks=CHECKS)
