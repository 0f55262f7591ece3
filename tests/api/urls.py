"""The root URLs with two answers that fail on purpose: an operation of an API built like the
open one, and a FHIR read."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from studienav import urls as root
from studienav.api.views import StudyApi

Patterns = list[URLPattern | URLResolver]
SECRET = "password=hunter2"

failing = StudyApi(title="failing", version="test", urls_namespace="failing-api", docs_url=None)


@failing.get("/boom")
def boom(request: HttpRequest) -> dict[str, str]:
    raise RuntimeError(SECRET)


def fhir_boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET)


urlpatterns: Patterns = [
    path("api/v1/failing/", failing.urls),
    path("fhir/Failing", fhir_boom),
    *cast(Patterns, root.urlpatterns),
]
