"""The search app."""

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "studienav.search"
    label = "search"
