"""The network app."""

from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "studienav.network"
    label = "network"
