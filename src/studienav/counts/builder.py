"""What the builder's buttons do before a definition is saved: add or remove a criterion row,
put a concept found in the vocabulary into a row or the index event, and convert a pasted or
uploaded definition (ATLAS/Circe JSON) into the fields. Each step shows the form again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from studienav.core.errors import DomainError
from studienav.core.models import Region
from studienav.counts import forms as f
from studienav.counts.circe import CirceUnsupported
from studienav.counts.definition import MAX_LABEL, DefinitionInvalid, definition_describe
from studienav.counts.results import concept_for_builder

STEP = re.compile(r"^(add|convert|remove-(\d+)|(concept|index)-(\d{1,10}))$")
# ICD-10 source concepts go into the codes field: the builder maps them to standard concepts.
ICD10_VOCABULARIES = {"ICD10", "ICD10CM"}
CRITERION_DOMAINS = {key for key, _label in f.DOMAINS}


@dataclass
class Conversion:
    """What a converted definition became: its format, notes on ignored parts, whether the
    fields hold it whole, and the definition in plain language."""

    format: str
    notes: list[str] = field(default_factory=list)
    held_by_fields: bool = True
    description: list[str] = field(default_factory=list)


@dataclass
class Step:
    """The builder shown again after a step, and what the step has to say."""

    form: f.DefinitionForm
    conversion: Conversion | None = None


def is_step(action: str) -> bool:
    """Whether the button pressed is a step (anything but saving)."""
    return bool(STEP.match(action))


def builder_step(*, posted: f.DefinitionForm, action: str, regions: QuerySet[Region]) -> Step:
    """Take one step on the posted builder; errors land next to the field they concern."""
    values = f.posted_values(posted)
    errors: list[tuple[str | None, str | list[str]]] = []
    focus: str | None = None
    conversion: Conversion | None = None
    match = STEP.match(action)
    assert match is not None
    if action == "add":
        if values["rows"] >= f.MAX_ROWS:
            errors.append((None, _("A definition has at most %(n)s criteria.") % {"n": f.MAX_ROWS}))
        else:
            values["rows"] += 1
            focus = f"c{values['rows'] - 1}_side"
    elif match.group(2) is not None:
        values = f.row_remove(values, int(match.group(2)))
    elif match.group(3) is not None:
        focus = _concept_use(values, match.group(3), int(match.group(4)), errors)
    else:
        conversion = _convert(posted, values, errors)
    form = f.DefinitionForm(initial=values, regions=regions)
    for name, message in errors:
        form.step_error(name, message)
    if focus and focus in form.fields:
        form.fields[focus].widget.attrs["autofocus"] = True
    return Step(form=form, conversion=conversion)


def _concept_use(
    values: dict[str, Any],
    where: str,
    concept_id: int,
    errors: list[tuple[str | None, str | list[str]]],
) -> str | None:
    """Put the concept into the index event or into a criterion row (the first empty one at
    the end, or a new one); the field to focus next."""
    try:
        concept = concept_for_builder(concept_id)
    except DomainError as error:
        errors.append((None, error.message))
        return None
    domain = concept.domain.lower()
    icd10 = concept.vocabulary in ICD10_VOCABULARIES
    if domain not in CRITERION_DOMAINS:
        errors.append(
            (
                None,
                _("%(name)s is a concept of the domain %(domain)s, which criteria do not use.")
                % {"name": concept.name, "domain": concept.domain},
            )
        )
        return None
    if not concept.standard and not icd10:
        errors.append(
            (
                None,
                _("%(name)s is not a standard concept: choose the standard concept it maps to.")
                % {"name": concept.name},
            )
        )
        return None
    ids, codes = ("", concept.code) if icd10 else (str(concept.concept_id), "")
    if where == "index":
        values["primary_domain"] = domain
        values["primary_concepts"] = _joined(values.get("primary_concepts"), ids)
        values["primary_icd10"] = _joined(values.get("primary_icd10"), codes)
        return "primary_concepts"
    row = values["rows"] - 1
    if not f.row_is_empty(values, row):
        if values["rows"] >= f.MAX_ROWS:
            errors.append((None, _("A definition has at most %(n)s criteria.") % {"n": f.MAX_ROWS}))
            return None
        values["rows"] += 1
        row += 1
    values.update(
        {
            f"c{row}_side": "with",
            f"c{row}_domain": domain,
            f"c{row}_concepts": ids,
            f"c{row}_icd10": codes,
            f"c{row}_label": concept.name[:MAX_LABEL],
        }
    )
    return f"c{row}_side"


def _joined(current: Any, extra: str) -> str:
    parts = [part for part in (str(current or "").strip(), extra) if part]
    return ", ".join(parts)


def _convert(
    posted: f.DefinitionForm,
    values: dict[str, Any],
    errors: list[tuple[str | None, str | list[str]]],
) -> Conversion | None:
    """Read the pasted or uploaded definition into the fields; what they cannot hold stays
    whole in the paste box, and every part that does not convert is named."""
    upload = posted.files.get("upload")
    source = "upload" if upload else "pasted"
    text = f.definition_text(upload=upload, pasted=values.get("pasted") or "")
    if text is None:
        errors.append((source, _("Paste or upload a definition to convert.")))
        return None
    if isinstance(text, f.TextRefused):
        errors.append((source, text.message))
        return None
    try:
        loaded = f.definition_read(text)
    except CirceUnsupported as error:
        errors.append((source, list(error.parts)))
        return None
    except DefinitionInvalid as error:
        errors.append((source, error.message))
        return None
    content = loaded.definition.model_dump(mode="json")
    title = values.get("title") or loaded.definition.title
    converted = f.initial_from(content, title)
    keep = {name: values[name] for name in ("regions", "note") if name in values}
    values.clear()
    values.update({**converted, **keep})
    if loaded.format == "circe" and not values.get("note"):
        values["note"] = _("Imported from ATLAS/Circe.")
    return Conversion(
        format=loaded.format,
        notes=list(loaded.notes),
        held_by_fields="pasted" not in converted,
        description=definition_describe(loaded.definition),
    )
