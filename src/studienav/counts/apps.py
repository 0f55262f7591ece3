"""The counts app."""

from django.apps import AppConfig


class CountsConfig(AppConfig):
    name = "studienav.counts"
    label = "counts"

    def ready(self) -> None:
        from studienav.counts import checks  # noqa: F401  (registers the test-mode check)
