"""The disclosure app."""

from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "studienav.disclosure"
    label = "disclosure"
