"""URLs of the stats app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver

app_name = "stats"

urlpatterns: list[URLPattern | URLResolver] = []
