"""System checks: the node setting names a known node."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from studienav.core.reference import NODES


@register()
def check_node(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    known = [slug for slug, _name, _region in NODES]
    if settings.STUDIENAV_NODE not in known:
        return [
            Error(
                f"STUDIENAV_NODE={settings.STUDIENAV_NODE!r} is not a regional node.",
                hint="One of: " + ", ".join(known),
                id="studienav.E001",
            )
        ]
    return []
