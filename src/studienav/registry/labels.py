"""Labels and readable values of a study's fields, for record views, change lists and history."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studienav.registry.models import SiteStatus, Study

# The lists kept in StudyVersion.data: their label and the keys shown of each item.
LIST_LABELS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "identifiers": (gettext_lazy("Identifiers"), ("scheme", "value")),
    "conditions": (gettext_lazy("Conditions"), ("name", "icd10")),
    "interventions": (gettext_lazy("Interventions"), ("name",)),
    "outcomes": (gettext_lazy("Outcomes"), ("measure",)),
    "sites": (gettext_lazy("Sites"), ("organisation", "city", "recruitment_status")),
}
# Coded values inside list items, shown by their label.
_ITEM_CHOICES: dict[str, dict[str, Any]] = {"recruitment_status": dict(SiteStatus.choices)}


def field_label(name: str) -> str:
    """A study field's or list's label, capitalised, in the active language."""
    if name in LIST_LABELS:
        return str(LIST_LABELS[name][0])
    try:
        field = Study._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(capfirst(getattr(field, "verbose_name", name)))


def _item_text(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    values = []
    for key in keys:
        value = item.get(key) or ""
        values.append(str(_ITEM_CHOICES.get(key, {}).get(value, value)))
    return " ".join(value for value in values if value)


def field_display(name: str, value: Any) -> str:
    """A stored value as a reader sees it: choices by label, lists joined, "–" for nothing."""
    if value in (None, "", []):
        return "–"
    if name in LIST_LABELS and isinstance(value, list):
        keys = LIST_LABELS[name][1]
        return "; ".join(_item_text(item, keys) for item in value if isinstance(item, dict))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    try:
        field = Study._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if isinstance(field, models.Field) and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def version_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What changed between two published versions: (label, old, new), public fields only."""
    names = [name for name in new if name != "format"] + [name for name in old if name not in new]
    return [
        (field_label(name), field_display(name, old.get(name)), field_display(name, new.get(name)))
        for name in names
        if old.get(name) != new.get(name)
    ]
