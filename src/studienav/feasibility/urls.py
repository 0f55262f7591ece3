"""URLs of the feasibility app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver

app_name = "feasibility"

urlpatterns: list[URLPattern | URLResolver] = []
