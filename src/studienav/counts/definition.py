"""A cohort definition: who counts, as our own small JSON, validated and bounded.

A definition names a primary criterion whose first qualifying event (inside an observation
period, with the required days of observation before and after it) is the person's index
date; then age at index, sex, inclusion criteria and exclusion criteria, each with a time
window relative to the index date. Every list, number and text is bounded so that hostile
input is cheap to refuse.

Example (type 2 diabetes, aged 40-75, metformin within 30 days after the diagnosis, an
HbA1c of 48-200 mmol/mol in the year before, no insulin ever)::

    {
      "version": 1,
      "title": "T2D on metformin",
      "primary": {"domain": "condition",
                  "concepts": {"concept_ids": [201826], "descendants": true}},
      "observation": {"prior_days": 365, "post_days": 0},
      "age": {"min": 40, "max": 75},
      "sex": ["female", "male"],
      "inclusions": [
        {"label": "Metformin", "domain": "drug",
         "concepts": {"concept_ids": [1503297]}, "window": {"start": 0, "end": 30}},
        {"label": "HbA1c", "domain": "measurement",
         "concepts": {"concept_ids": [3004410]}, "window": {"start": -365, "end": 0},
         "value": {"min": 48, "max": 200, "unit_concept_ids": [9579]}}
      ],
      "exclusions": [
        {"label": "Insulin", "domain": "drug", "concepts": {"concept_ids": [1596977]}}
      ]
    }
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from studienav.core.errors import DomainError
from studienav.core.json_nesting import TooDeep, json_loads

# Bounds: a definition larger than this is refused before any query is built.
MAX_TEXT_BYTES = 256 * 1024
MAX_DEPTH = 32  # JSON nesting: ours needs 6 levels, an ATLAS/Circe definition about 10
MAX_CRITERIA = 20
MAX_CONCEPTS = 500
MAX_CODES = 200
MAX_LABEL = 200
MAX_DAYS = 365 * 150
MAX_AGE = 150
MAX_VALUE = 1e12

GENDER_CONCEPTS = {"male": 8507, "female": 8532}

ICD10_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?\*?$")


class DefinitionInvalid(DomainError):
    """The cohort definition is malformed; `field` names the path of the bad part."""

    default_code = "definition_invalid"


class Domain(StrEnum):
    """The OMOP domain a criterion looks in."""

    CONDITION = "condition"
    DRUG = "drug"
    PROCEDURE = "procedure"
    MEASUREMENT = "measurement"
    OBSERVATION = "observation"
    VISIT = "visit"
    OBSERVATION_PERIOD = "observation_period"


class Source(StrEnum):
    """Which table of a domain a criterion reads: the single events or their eras."""

    EVENTS = "events"  # condition_occurrence, drug_exposure, procedure_occurrence, ...
    ERA = "era"  # condition_era, drug_era (condition and drug only)


def _check_event(
    domain: Domain, source: Source, concepts: ConceptSet | None, value: ValueRange | None
) -> None:
    if source == Source.ERA and domain not in (Domain.CONDITION, Domain.DRUG):
        raise ValueError("only conditions and drugs have eras")
    if domain == Domain.OBSERVATION_PERIOD:
        if concepts is not None or value is not None:
            raise ValueError("an observation period takes no concepts or values")
        return
    if concepts is None and domain != Domain.VISIT:
        raise ValueError("this criterion needs concepts")
    if value is not None and domain not in (Domain.MEASUREMENT, Domain.OBSERVATION):
        raise ValueError("only measurements and observations have values")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


ConceptId = Annotated[int, Field(ge=0, le=2_147_483_647)]
Days = Annotated[int, Field(ge=-MAX_DAYS, le=MAX_DAYS)]
Label = Annotated[str, Field(max_length=MAX_LABEL)]


class ConceptSet(_Strict):
    """Standard concepts (optionally with descendants) and ICD-10 codes mapped to them.

    ICD-10 codes (`E11`, `E11.9`, or a prefix `E11*`) are found among the ICD10 and ICD10CM
    concepts and followed through concept_relationship 'Maps to' to standard concepts.
    `excluded_concept_ids` (with their descendants when `descendants` is set) are removed.
    """

    concept_ids: tuple[ConceptId, ...] = Field(default=(), max_length=MAX_CONCEPTS)
    icd10_codes: tuple[str, ...] = Field(default=(), max_length=MAX_CODES)
    descendants: bool = True
    excluded_concept_ids: tuple[ConceptId, ...] = Field(default=(), max_length=MAX_CONCEPTS)
    label: Label = ""

    @field_validator("icd10_codes")
    @classmethod
    def _codes_look_like_icd10(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(code.strip().upper() for code in codes)
        for code in cleaned:
            if not ICD10_CODE.match(code):
                raise ValueError(f"not an ICD-10 code: {code[:20]!r}")
        return cleaned

    @model_validator(mode="after")
    def _not_empty(self) -> ConceptSet:
        if not self.concept_ids and not self.icd10_codes:
            raise ValueError("a concept set needs at least one concept id or ICD-10 code")
        return self

    def canonical(self) -> dict[str, Any]:
        """The meaning of this set, without its label, in a stable order."""
        return {
            "concept_ids": sorted(set(self.concept_ids)),
            "icd10_codes": sorted(set(self.icd10_codes)),
            "descendants": self.descendants,
            "excluded_concept_ids": sorted(set(self.excluded_concept_ids)),
        }


class Window(_Strict):
    """Days relative to the index date (negative: before); `None` is unbounded."""

    start: Days | None = None
    end: Days | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError("the window's start is after its end")
        return self


class ValueRange(_Strict):
    """A numeric range on value_as_number, optionally in given unit concepts."""

    min: float | None = Field(default=None, ge=-MAX_VALUE, le=MAX_VALUE)
    max: float | None = Field(default=None, ge=-MAX_VALUE, le=MAX_VALUE)
    unit_concept_ids: tuple[ConceptId, ...] = Field(default=(), max_length=50)

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("the value's minimum is above its maximum")
        if self.min is None and self.max is None and not self.unit_concept_ids:
            raise ValueError("a value range needs a minimum, a maximum or a unit")
        return self


class PrimaryCriterion(_Strict):
    """The event that sets the index date: the person's first one that qualifies.

    `domain` "observation_period" makes the start of the observation period the event.
    `first_in_history` keeps only the person's very first such event (even if it falls
    outside observation), as Circe's "first occurrence" does.
    """

    domain: Domain = Domain.OBSERVATION_PERIOD
    source: Source = Source.EVENTS
    concepts: ConceptSet | None = None
    value: ValueRange | None = None
    first_in_history: bool = False
    label: Label = ""

    @model_validator(mode="after")
    def _consistent(self) -> PrimaryCriterion:
        _check_event(self.domain, self.source, self.concepts, self.value)
        return self


class Criterion(_Strict):
    """An inclusion or exclusion: events of a domain within a window around the index.

    An inclusion needs at least `min_count` such events; an exclusion removes the person
    if there is any. Only events inside the index's observation period count.
    """

    domain: Domain
    source: Source = Source.EVENTS
    concepts: ConceptSet | None = None
    window: Window = Field(default_factory=Window)
    value: ValueRange | None = None
    min_count: int = Field(default=1, ge=1, le=1000)
    label: Label = ""

    @model_validator(mode="after")
    def _consistent(self) -> Criterion:
        if self.domain == Domain.OBSERVATION_PERIOD:
            raise ValueError("an observation period is not a criterion; use 'observation'")
        _check_event(self.domain, self.source, self.concepts, self.value)
        return self


class AgeRange(_Strict):
    """Age at index in whole years (year of index minus year of birth), inclusive."""

    min: int | None = Field(default=None, ge=0, le=MAX_AGE)
    max: int | None = Field(default=None, ge=0, le=MAX_AGE)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("the minimum age is above the maximum")
        return self


class ObservationRequirement(_Strict):
    """Days of continuous observation required before and after the index date."""

    prior_days: int = Field(default=0, ge=0, le=MAX_DAYS)
    post_days: int = Field(default=0, ge=0, le=MAX_DAYS)


class CohortDefinition(_Strict):
    """A whole cohort definition; see the module docstring for an example."""

    version: Literal[1] = 1
    title: Label = ""
    primary: PrimaryCriterion = Field(default_factory=PrimaryCriterion)
    observation: ObservationRequirement = Field(default_factory=ObservationRequirement)
    age: AgeRange | None = None
    sex: tuple[Literal["female", "male"], ...] = Field(default=(), max_length=2)
    inclusions: tuple[Criterion, ...] = Field(default=(), max_length=MAX_CRITERIA)
    exclusions: tuple[Criterion, ...] = Field(default=(), max_length=MAX_CRITERIA)

    @field_validator("sex")
    @classmethod
    def _unique_sex(cls, sex: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(sex)))

    def canonical(self) -> dict[str, Any]:
        """The meaning of the definition, without titles and labels, in a stable form."""
        data = self.model_dump(mode="json", exclude={"title"})
        data["primary"]["concepts"] = (
            self.primary.concepts.canonical() if self.primary.concepts else None
        )
        data["primary"].pop("label", None)
        for key, criteria in (("inclusions", self.inclusions), ("exclusions", self.exclusions)):
            rows = []
            for criterion, row in zip(criteria, data[key], strict=True):
                row.pop("label", None)
                row["concepts"] = criterion.concepts.canonical() if criterion.concepts else None
                if row.get("value"):
                    row["value"]["unit_concept_ids"] = sorted(set(row["value"]["unit_concept_ids"]))
                rows.append(row)
            data[key] = rows
        if data["primary"].get("value"):
            data["primary"]["value"]["unit_concept_ids"] = sorted(
                set(data["primary"]["value"]["unit_concept_ids"])
            )
        return data


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "definition"


def definition_json(text: str | bytes) -> dict[str, Any]:
    """Definition text (ours or ATLAS/Circe) as a JSON object, its size and nesting bounded
    before anything parses it; DefinitionInvalid otherwise."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if len(raw) > MAX_TEXT_BYTES:
        raise DefinitionInvalid(
            code="definition_too_large",
            message=_("The definition is larger than %(limit)s kB.")
            % {"limit": MAX_TEXT_BYTES // 1024},
            field="definition",
        )
    try:
        data = json_loads(raw, max_depth=MAX_DEPTH)
    except TooDeep as error:
        raise DefinitionInvalid(
            code="definition_too_deep",
            message=_("The definition nests deeper than %(n)s levels.") % {"n": error.limit},
            field="definition",
        ) from error
    except ValueError as error:
        raise DefinitionInvalid(
            code="definition_not_json",
            message=_("The definition is not valid JSON: %(error)s") % {"error": str(error)[:200]},
            field="definition",
        ) from error
    if not isinstance(data, dict):
        raise DefinitionInvalid(
            code="definition_not_object",
            message=_("The definition must be a JSON object."),
            field="definition",
        )
    return data


def definition_parse(data: dict[str, Any] | str | bytes) -> CohortDefinition:
    """Validate a definition (a dict or JSON text) into a `CohortDefinition`.

    Raises `DefinitionInvalid` whose `field` is the dotted path of the first bad part
    (for example `inclusions.0.window.start`).
    """
    if isinstance(data, bytes | str):
        data = definition_json(data)
    if not isinstance(data, dict):
        raise DefinitionInvalid(
            code="definition_not_object",
            message=_("The definition must be a JSON object."),
            field="definition",
        )
    try:
        return CohortDefinition.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = _field_path(tuple(first["loc"]))
        raise DefinitionInvalid(
            code="definition_invalid",
            message=_("%(field)s: %(problem)s") % {"field": field, "problem": first["msg"]},
            field=field,
        ) from error


def definition_fingerprint(definition: CohortDefinition) -> str:
    """A stable hash of what the definition means (titles and labels left out).

    Two definitions that select the same rows in the same way have the same fingerprint,
    whatever the order of their concept lists; it seeds the noise and the lockout.
    """
    text = json.dumps(
        definition.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()


DOMAIN_NAMES = {
    Domain.CONDITION: gettext_lazy("condition"),
    Domain.DRUG: gettext_lazy("drug"),
    Domain.PROCEDURE: gettext_lazy("procedure"),
    Domain.MEASUREMENT: gettext_lazy("measurement"),
    Domain.OBSERVATION: gettext_lazy("observation"),
    Domain.VISIT: gettext_lazy("visit"),
    Domain.OBSERVATION_PERIOD: gettext_lazy("observation period"),
}


def _domain_name(domain: Domain) -> str:
    names = {
        Domain.CONDITION: _("a condition"),
        Domain.DRUG: _("a drug"),
        Domain.PROCEDURE: _("a procedure"),
        Domain.MEASUREMENT: _("a measurement"),
        Domain.OBSERVATION: _("an observation"),
        Domain.VISIT: _("a visit"),
        Domain.OBSERVATION_PERIOD: _("the start of an observation period"),
    }
    return names[domain]


def _concepts_text(concepts: ConceptSet | None) -> str:
    if concepts is None:
        return ""
    parts: list[str] = [concepts.label] if concepts.label else []
    if concepts.concept_ids:
        ids = ", ".join(str(i) for i in concepts.concept_ids[:10])
        if len(concepts.concept_ids) > 10:
            ids += ", …"
        parts.append(_("concepts %(ids)s") % {"ids": ids})
    if concepts.icd10_codes:
        codes = ", ".join(concepts.icd10_codes[:10])
        if len(concepts.icd10_codes) > 10:
            codes += ", …"
        parts.append(_("ICD-10 %(codes)s") % {"codes": codes})
    details = parts[1:] if concepts.label else parts
    text = f"“{concepts.label}” " if concepts.label else ""
    text += f"({'; '.join(details)})"
    if concepts.descendants:
        text += " " + _("or any more specific concept")
    if concepts.excluded_concept_ids:
        text += " " + _("except concepts %(ids)s") % {
            "ids": ", ".join(str(i) for i in concepts.excluded_concept_ids[:10])
        }
    return text


def _value_text(value: ValueRange | None) -> str:
    if value is None:
        return ""
    if value.min is not None and value.max is not None:
        text = _("with a value from %(min)g to %(max)g") % {"min": value.min, "max": value.max}
    elif value.min is not None:
        text = _("with a value of at least %(min)g") % {"min": value.min}
    elif value.max is not None:
        text = _("with a value of at most %(max)g") % {"max": value.max}
    else:
        text = ""
    if value.unit_concept_ids:
        units = ", ".join(str(i) for i in value.unit_concept_ids)
        text = (text + " " if text else "") + _("in unit concepts %(units)s") % {"units": units}
    return text


def _window_text(window: Window) -> str:
    start, end = window.start, window.end
    if start is None and end is None:
        return _("at any time in the observation period")
    if start is not None and end is not None:
        if start >= 0:
            return _("from %(start)s to %(end)s days after the index date") % {
                "start": start,
                "end": end,
            }
        if end <= 0:
            return _("from %(start)s to %(end)s days before the index date") % {
                "start": -end,
                "end": -start,
            }
        return _("from %(start)s days before to %(end)s days after the index date") % {
            "start": -start,
            "end": end,
        }
    if start is not None:
        if start >= 0:
            return _("%(days)s days or more after the index date") % {"days": start}
        return _("at most %(days)s days before the index date, or later") % {"days": -start}
    assert end is not None
    if end <= 0:
        return _("%(days)s days or more before the index date") % {"days": -end}
    return _("up to %(days)s days after the index date, or earlier") % {"days": end}


def _criterion_text(criterion: Criterion) -> str:
    parts = [f"“{criterion.label}”:"] if criterion.label else []
    parts.append(_domain_name(criterion.domain))
    concepts = _concepts_text(criterion.concepts)
    if concepts:
        parts.append(concepts)
    if criterion.source == Source.ERA:
        parts.append(_("(as an era)"))
    value = _value_text(criterion.value)
    if value:
        parts.append(value)
    parts.append(_window_text(criterion.window))
    return " ".join(parts)


def definition_describe(definition: CohortDefinition, language: str | None = None) -> list[str]:
    """The definition in plain language, one sentence per criterion, in the given language."""
    with translation.override(language or translation.get_language()):
        lines: list[str] = []
        primary = definition.primary
        event = _domain_name(primary.domain)
        concepts = _concepts_text(primary.concepts)
        if concepts:
            event += " " + concepts
        value = _value_text(primary.value)
        if value:
            event += " " + value
        if primary.source == Source.ERA:
            event += " " + _("(as an era)")
        if primary.first_in_history:
            lines.append(
                _("Index date: the person's first ever record of %(event)s.") % {"event": event}
            )
        else:
            lines.append(
                _("Index date: the person's first record of %(event)s.") % {"event": event}
            )
        observation = definition.observation
        lines.append(
            _(
                "Only events inside an observation period count; the index date needs "
                "%(prior)s days of observation before it and %(post)s days after it."
            )
            % {"prior": observation.prior_days, "post": observation.post_days}
        )
        age = definition.age
        if age is not None and (age.min is not None or age.max is not None):
            if age.min is not None and age.max is not None:
                lines.append(
                    _("Aged %(min)s to %(max)s at the index date.")
                    % {"min": age.min, "max": age.max}
                )
            elif age.min is not None:
                lines.append(_("Aged %(min)s or older at the index date.") % {"min": age.min})
            else:
                lines.append(_("Aged %(max)s or younger at the index date.") % {"max": age.max})
        if definition.sex and len(definition.sex) < 2:
            lines.append(_("Women only.") if definition.sex == ("female",) else _("Men only."))
        for criterion in definition.inclusions:
            text = _criterion_text(criterion)
            if criterion.min_count > 1:
                lines.append(
                    ngettext(
                        "With at least %(count)d record of %(what)s.",
                        "With at least %(count)d records of %(what)s.",
                        criterion.min_count,
                    )
                    % {"count": criterion.min_count, "what": text}
                )
            else:
                lines.append(_("With %(what)s.") % {"what": text})
        for criterion in definition.exclusions:
            lines.append(_("Without %(what)s.") % {"what": _criterion_text(criterion)})
        return lines


def criterion_title(criterion: Criterion | PrimaryCriterion) -> str:
    """A short name for an attrition row: its label, its concept set's label, or its domain."""
    if criterion.label:
        return criterion.label
    if criterion.concepts is not None and criterion.concepts.label:
        return criterion.concepts.label
    return str(DOMAIN_NAMES[criterion.domain])
