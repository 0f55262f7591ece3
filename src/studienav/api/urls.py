"""URLs of the open API and the FHIR facade (outside the language prefixes)."""

from typing import Any

from django.urls import URLPattern, URLResolver, path, re_path

from studienav.api import fhir, views
from studienav.api.middleware import api_edge


def _edged(patterns: list[Any]) -> list[Any]:
    """Each view wrapped in the API edge (CORS, rate limit, conditional GET)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _edged(pattern.url_patterns)
        else:
            pattern.callback = api_edge(pattern.callback)
    return patterns


ninja_patterns, ninja_app, ninja_namespace = views.api.urls

urlpatterns: list[URLPattern | URLResolver] = _edged(
    [
        path("api/v1/docs", views.docs, name="api-docs"),
        path("api/v1/", (ninja_patterns, ninja_app, ninja_namespace)),
        path("fhir/metadata", fhir.metadata, name="fhir-metadata"),
        path("fhir/ResearchStudy", fhir.research_study_search, name="fhir-researchstudy-search"),
        path("fhir/ResearchStudy/<str:key>", fhir.research_study_read, name="fhir-researchstudy"),
        path("fhir/Location/<str:key>", fhir.location_read, name="fhir-location"),
        path("fhir/Organization/<str:key>", fhir.organization_read, name="fhir-organization"),
        re_path(r"^fhir/(?P<rest>.*)$", fhir.not_found),
        re_path(r"^api/(?P<rest>.*)$", views.not_found),
    ]
)
