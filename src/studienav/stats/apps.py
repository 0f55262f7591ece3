"""The stats app."""

from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "studienav.stats"
    label = "stats"
