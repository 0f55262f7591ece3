"""The public portal app."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "studienav.portal"
    label = "portal"
