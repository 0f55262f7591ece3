"""URLs of the participation app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver

app_name = "participation"

urlpatterns: list[URLPattern | URLResolver] = []
