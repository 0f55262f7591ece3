"""URLs of the open API and the FHIR facade (outside the language prefixes)."""

from django.urls import URLPattern, URLResolver, path, re_path

from studienav.api import fhir, views

ninja_patterns, ninja_app, ninja_namespace = views.api.urls

# CORS, the rate limit and conditional GET come from ApiEdgeMiddleware.
urlpatterns: list[URLPattern | URLResolver] = [
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
