"""The funding app."""

from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "studienav.funding"
    label = "funding"
