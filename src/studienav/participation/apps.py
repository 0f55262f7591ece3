"""The participation app."""

from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "studienav.participation"
    label = "participation"
