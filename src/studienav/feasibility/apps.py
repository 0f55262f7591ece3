"""The feasibility app."""

from django.apps import AppConfig


class FeasibilityConfig(AppConfig):
    name = "studienav.feasibility"
    label = "feasibility"
