"""Optional modules that capability apps offer to core (demo.py, dashboard.py), found by name."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps


def studienav_app_modules(submodule: str) -> Iterator[ModuleType]:
    """`<app>.<submodule>` of every studienav app that has one, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        if not config.name.startswith("studienav."):
            continue
        name = f"{config.name}.{submodule}"
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
