"""The API app."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "studienav.api"
    label = "api"
