"""URLs of the open API and the FHIR facade (outside the language prefixes)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
