"""The core app: reference geography, people and roles, audit trail."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "studienav.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from studienav.core import checks  # noqa: F401  (registers the deployment checks)
