"""Import and export ATLAS/Circe cohort definition JSON for the subset that maps to ours.

A Circe definition is converted into our `CohortDefinition` so that both engines, the
attrition and the protection work on it alike. What has no counterpart (several primary
criteria, nested groups, visit restrictions, "all events" limits, end windows, ...) is
refused with a message naming the part. Parts that do not change who is counted (cohort
end strategy, censoring, era collapsing) are ignored with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from studienav.core.json_nesting import json_loads
from studienav.counts.definition import (
    GENDER_CONCEPTS,
    MAX_DEPTH,
    CohortDefinition,
    ConceptSet,
    Criterion,
    DefinitionInvalid,
    Domain,
    PrimaryCriterion,
    Source,
    definition_json,
    definition_parse,
)

# Circe criteria types and where they live in our definition.
CIRCE_DOMAINS: dict[str, tuple[Domain, Source]] = {
    "ConditionOccurrence": (Domain.CONDITION, Source.EVENTS),
    "ConditionEra": (Domain.CONDITION, Source.ERA),
    "DrugExposure": (Domain.DRUG, Source.EVENTS),
    "DrugEra": (Domain.DRUG, Source.ERA),
    "ProcedureOccurrence": (Domain.PROCEDURE, Source.EVENTS),
    "Measurement": (Domain.MEASUREMENT, Source.EVENTS),
    "Observation": (Domain.OBSERVATION, Source.EVENTS),
    "VisitOccurrence": (Domain.VISIT, Source.EVENTS),
    "ObservationPeriod": (Domain.OBSERVATION_PERIOD, Source.EVENTS),
}
OUR_DOMAINS = {value: key for key, value in CIRCE_DOMAINS.items()}

# Attributes of a Circe criterion that we understand; any other one is refused.
UNDERSTOOD = {"CodesetId", "First", "ValueAsNumber", "Unit"}
# Occurrence types in Circe.
EXACTLY, AT_MOST, AT_LEAST = 0, 1, 2
GENDERS = {concept: name for name, concept in GENDER_CONCEPTS.items()}


class CirceUnsupported(DefinitionInvalid):
    """The Circe definition uses parts that have no counterpart in ours; `parts` names each."""

    default_code = "circe_unsupported"

    def __init__(self, *, parts: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parts = parts or (self.message,)


class _AlreadyNamed(Exception):
    """A criterion uses a concept set that could not be converted (named once, with the set)."""


@dataclass
class _Problems:
    """Every part that does not convert, so that all are named at once, none dropped."""

    found: list[CirceUnsupported] = field(default_factory=list)

    def collect(self, step: Any, *args: Any) -> Any:
        try:
            return step(*args)
        except CirceUnsupported as error:
            self.found.extend(
                CirceUnsupported(message=part, field=error.field) for part in error.parts
            )
        except _AlreadyNamed:
            pass
        return None

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise CirceUnsupported(
                message=_(
                    "%(n)s parts of the ATLAS/Circe definition cannot be converted: %(parts)s"
                )
                % {"n": len(self.found), "parts": " ".join(p.message for p in self.found)},
                field=self.found[0].field,
                parts=tuple(p.message for p in self.found),
            )


@dataclass(frozen=True)
class LoadedDefinition:
    """A definition read from JSON: ours, and where it came from, with notes on what was ignored."""

    definition: CohortDefinition
    format: str  # "studienav" or "circe"
    notes: tuple[str, ...] = ()


def _unsupported(path: str, what: str) -> CirceUnsupported:
    return CirceUnsupported(
        message=_("%(path)s: %(what)s is not supported; counts here cover a subset of Circe.")
        % {"path": path, "what": what},
        field=path,
    )


def is_circe(data: dict[str, Any]) -> bool:
    """Whether a JSON object is a Circe cohort expression (or a WebAPI cohort holding one)."""
    return (
        "PrimaryCriteria" in data
        or "ConceptSets" in data
        or isinstance(data.get("expression"), dict | str)
    )


def _expression(data: dict[str, Any]) -> dict[str, Any]:
    if "PrimaryCriteria" in data or "ConceptSets" in data:
        return data
    inner = data.get("expression")
    if isinstance(inner, str):
        inner = json_loads(inner, max_depth=MAX_DEPTH)
    if not isinstance(inner, dict):
        raise _unsupported("expression", _("a cohort without an expression"))
    return inner


def _concept_sets(
    expression: dict[str, Any], problems: _Problems
) -> tuple[dict[int, ConceptSet], set[int]]:
    """The concept sets that convert, and the ids of those that do not (named in `problems`)."""
    sets: dict[int, ConceptSet] = {}
    failed: set[int] = set()
    for position, item in enumerate(expression.get("ConceptSets") or []):
        number = int(item.get("id", position))
        converted = problems.collect(_concept_set, item, f"ConceptSets.{position}")
        if converted is None:
            failed.add(number)
        else:
            sets[number] = converted
    return sets, failed


def _concept_set(item: dict[str, Any], path: str) -> ConceptSet:
    included: list[int] = []
    excluded: list[int] = []
    descendants: set[bool] = set()
    for index, entry in enumerate((item.get("expression") or {}).get("items") or []):
        if entry.get("includeMapped"):
            raise _unsupported(
                f"{path}.items.{index}.includeMapped", _("including mapped concepts")
            )
        concept = entry.get("concept") or {}
        concept_id = concept.get("CONCEPT_ID")
        if not isinstance(concept_id, int):
            raise _unsupported(f"{path}.items.{index}.concept", _("a concept without CONCEPT_ID"))
        descendants.add(bool(entry.get("includeDescendants")))
        (excluded if entry.get("isExcluded") else included).append(concept_id)
    if len(descendants) > 1:
        raise _unsupported(path, _("a concept set that mixes items with and without descendants"))
    if not included:
        raise _unsupported(path, _("an empty concept set"))
    return ConceptSet(
        concept_ids=tuple(included),
        excluded_concept_ids=tuple(excluded),
        descendants=descendants.pop() if descendants else False,
        label=str(item.get("name") or "")[:200],
    )


def _numeric(value: dict[str, Any], path: str) -> tuple[float | None, float | None]:
    op = value.get("Op")
    low, high = value.get("Value"), value.get("Extent")
    if op == "bt":
        return low, high
    if op == "gte":
        return low, None
    if op == "lte":
        return None, low
    if op == "eq":
        return low, low
    raise _unsupported(f"{path}.Op", _("the comparison %(op)s") % {"op": op})


def _criterion_parts(
    criteria: dict[str, Any], path: str, sets: dict[int, ConceptSet], failed: set[int]
) -> tuple[Domain, Source, dict[str, Any]]:
    if len(criteria) != 1:
        raise _unsupported(path, _("a criterion that is not exactly one domain"))
    kind, body = next(iter(criteria.items()))
    if kind not in CIRCE_DOMAINS:
        raise _unsupported(f"{path}.{kind}", _("the criterion type %(kind)s") % {"kind": kind})
    domain, source = CIRCE_DOMAINS[kind]
    body = body or {}
    for key, value in body.items():
        if key not in UNDERSTOOD and value not in (None, [], {}, False):
            raise _unsupported(f"{path}.{kind}.{key}", key)
    parts: dict[str, Any] = {"domain": domain, "source": source}
    codeset = body.get("CodesetId")
    if codeset is not None:
        if codeset in failed:
            raise _AlreadyNamed
        if codeset not in sets:
            raise _unsupported(
                f"{path}.{kind}.CodesetId", _("an unknown concept set %(id)s") % {"id": codeset}
            )
        parts["concepts"] = sets[codeset]
    elif domain not in (Domain.OBSERVATION_PERIOD, Domain.VISIT):
        raise _unsupported(f"{path}.{kind}", _("a criterion without a concept set"))
    value = body.get("ValueAsNumber")
    units = body.get("Unit") or []
    if value or units:
        low, high = _numeric(value, f"{path}.{kind}.ValueAsNumber") if value else (None, None)
        parts["value"] = {
            "min": low,
            "max": high,
            "unit_concept_ids": [u.get("CONCEPT_ID") for u in units],
        }
    if body.get("First"):
        parts["first"] = True
    return domain, source, parts


def _window(window: dict[str, Any] | None, path: str) -> dict[str, int | None]:
    if not window:
        return {"start": None, "end": None}
    if window.get("UseIndexEnd") or window.get("UseEventEnd"):
        raise _unsupported(path, _("a window on the index's or the event's end date"))

    def days(end: dict[str, Any] | None) -> int | None:
        if not end or end.get("Days") is None:
            return None
        return int(end["Days"]) * int(end.get("Coeff", 1))

    return {"start": days(window.get("Start")), "end": days(window.get("End"))}


def _primary(
    primary_part: dict[str, Any], sets: dict[int, ConceptSet], failed: set[int]
) -> dict[str, Any]:
    criteria_list = primary_part.get("CriteriaList") or []
    if len(criteria_list) != 1:
        raise _unsupported(
            "PrimaryCriteria.CriteriaList", _("a number of primary criteria other than one")
        )
    limit = (primary_part.get("PrimaryCriteriaLimit") or {}).get("Type", "First")
    if limit != "First":
        raise _unsupported(
            "PrimaryCriteria.PrimaryCriteriaLimit", _("an index event other than the first")
        )
    _domain, _source, parts = _criterion_parts(
        criteria_list[0], "PrimaryCriteria.CriteriaList.0", sets, failed
    )
    return {
        "domain": parts["domain"],
        "source": parts["source"],
        "concepts": parts.get("concepts"),
        "value": parts.get("value"),
        "first_in_history": bool(parts.get("first")),
    }


@dataclass
class _Demographics:
    """Age and sex from the inclusion rules, narrowed rule by rule."""

    age_min: list[int] = field(default_factory=list)
    age_max: list[int] = field(default_factory=list)
    sexes: set[str] | None = None

    def add(self, demographic: dict[str, Any], here: str) -> None:
        for key, value in demographic.items():
            if key not in ("Age", "Gender") and value not in (None, [], {}):
                raise _unsupported(f"{here}.{key}", key)
        if demographic.get("Age"):
            low, high = _numeric(demographic["Age"], f"{here}.Age")
            if low is not None:
                self.age_min.append(int(low))
            if high is not None:
                self.age_max.append(int(high))
        if demographic.get("Gender"):
            chosen = {GENDERS.get(g.get("CONCEPT_ID"), "") for g in demographic["Gender"]}
            if "" in chosen:
                raise _unsupported(f"{here}.Gender", _("a gender other than female or male"))
            self.sexes = chosen if self.sexes is None else self.sexes & chosen


def _rule_group(group: dict[str, Any], path: str) -> None:
    if group.get("Groups"):
        raise _unsupported(f"{path}.Groups", _("nested groups"))
    if (
        len(group.get("CriteriaList") or []) + len(group.get("DemographicCriteriaList") or []) > 1
        and group.get("Type", "ALL") != "ALL"
    ):
        raise _unsupported(f"{path}.Type", _("a rule other than 'all of'"))


def _rule_item(
    item: dict[str, Any],
    here: str,
    rule: dict[str, Any],
    sets: dict[int, ConceptSet],
    failed: set[int],
) -> tuple[str, dict[str, Any]]:
    """One windowed criterion of an inclusion rule: ("inclusions" or "exclusions", ours)."""
    if item.get("EndWindow"):
        raise _unsupported(f"{here}.EndWindow", _("an end window"))
    if item.get("RestrictVisit"):
        raise _unsupported(f"{here}.RestrictVisit", _("restricting to the same visit"))
    if item.get("IgnoreObservationPeriod"):
        raise _unsupported(f"{here}.IgnoreObservationPeriod", _("events outside observation"))
    _d, _s, criterion = _criterion_parts(
        item.get("Criteria") or {}, f"{here}.Criteria", sets, failed
    )
    if criterion.get("first"):
        raise _unsupported(f"{here}.Criteria", _("'first occurrence' on an inclusion criterion"))
    occurrence = item.get("Occurrence") or {"Type": AT_LEAST, "Count": 1}
    kind, times = occurrence.get("Type"), int(occurrence.get("Count") or 0)
    entry = {
        "domain": criterion["domain"],
        "source": criterion["source"],
        "concepts": criterion.get("concepts"),
        "value": criterion.get("value"),
        "window": _window(item.get("StartWindow"), f"{here}.StartWindow"),
        "label": str(rule.get("name") or "")[:200],
    }
    if kind == AT_LEAST and times >= 1:
        return "inclusions", {**entry, "min_count": times}
    if kind in (EXACTLY, AT_MOST) and times == 0:
        return "exclusions", entry
    raise _unsupported(f"{here}.Occurrence", _("this number of occurrences"))


def circe_to_definition(data: dict[str, Any]) -> LoadedDefinition:
    """Convert a Circe cohort expression into our definition, or refuse naming every part
    that does not convert (`CirceUnsupported.parts`)."""
    expression = _expression(data)
    notes: list[str] = []
    problems = _Problems()
    sets, failed = _concept_sets(expression, problems)
    primary_part = expression.get("PrimaryCriteria") or {}
    if expression.get("AdditionalCriteria"):
        problems.found.append(
            _unsupported("AdditionalCriteria", _("additional qualifying criteria"))
        )
    primary = problems.collect(_primary, primary_part, sets, failed)
    window = primary_part.get("ObservationWindow") or {}
    result: dict[str, Any] = {
        "title": str(data.get("name") or expression.get("title") or "")[:200],
        "primary": primary,
        "observation": {
            "prior_days": int(window.get("PriorDays") or 0),
            "post_days": int(window.get("PostDays") or 0),
        },
        "inclusions": [],
        "exclusions": [],
    }
    demographics = _Demographics()
    for number, rule in enumerate(expression.get("InclusionRules") or []):
        path = f"InclusionRules.{number}.expression"
        group = rule.get("expression") or {}
        problems.collect(_rule_group, group, path)
        for index, demographic in enumerate(group.get("DemographicCriteriaList") or []):
            problems.collect(
                demographics.add, demographic, f"{path}.DemographicCriteriaList.{index}"
            )
        for index, item in enumerate(group.get("CriteriaList") or []):
            here = f"{path}.CriteriaList.{index}"
            converted = problems.collect(_rule_item, item, here, rule, sets, failed)
            if converted is not None:
                result[converted[0]].append(converted[1])
    if demographics.age_min or demographics.age_max:
        result["age"] = {
            "min": max(demographics.age_min) if demographics.age_min else None,
            "max": min(demographics.age_max) if demographics.age_max else None,
        }
    if demographics.sexes is not None:
        if not demographics.sexes:
            problems.found.append(
                _unsupported("InclusionRules", _("gender rules that no one can meet"))
            )
        result["sex"] = sorted(demographics.sexes)
    problems.raise_any()
    for key in ("EndStrategy", "CensoringCriteria", "CollapseSettings", "CensorWindow"):
        if expression.get(key):
            notes.append(
                _("%(part)s does not change who is counted and is ignored.") % {"part": key}
            )
    for key in ("QualifiedLimit", "ExpressionLimit"):
        if (expression.get(key) or {}).get("Type", "First") != "First":
            notes.append(
                _("%(part)s does not change the number of persons and is ignored.") % {"part": key}
            )
    return LoadedDefinition(
        definition=definition_parse(_plain(result)), format="circe", notes=tuple(notes)
    )


def _plain(value: Any) -> Any:
    if isinstance(value, ConceptSet):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def definition_load(data: dict[str, Any] | str | bytes) -> LoadedDefinition:
    """Read a definition in either format, telling ours from Circe by its content."""
    parsed = definition_json(data) if isinstance(data, bytes | str) else data
    if isinstance(parsed, dict) and is_circe(parsed):
        try:
            return circe_to_definition(parsed)
        except (AttributeError, TypeError, ValueError, KeyError) as error:
            if isinstance(error, DefinitionInvalid):
                raise
            raise CirceUnsupported(
                code="circe_invalid",
                message=_("The ATLAS/Circe definition is malformed: %(error)s")
                % {"error": str(error)[:200]},
                field="definition",
            ) from error
    return LoadedDefinition(definition=definition_parse(parsed), format="studienav")


def _concept_set_json(concepts: ConceptSet, number: int, path: str) -> dict[str, Any]:
    if concepts.icd10_codes:
        raise _unsupported(
            f"{path}.icd10_codes", _("exporting ICD-10 codes (choose their standard concepts)")
        )
    items = [
        {
            "concept": {"CONCEPT_ID": cid},
            "includeDescendants": concepts.descendants,
            "isExcluded": False,
            "includeMapped": False,
        }
        for cid in concepts.concept_ids
    ] + [
        {
            "concept": {"CONCEPT_ID": cid},
            "includeDescendants": concepts.descendants,
            "isExcluded": True,
            "includeMapped": False,
        }
        for cid in concepts.excluded_concept_ids
    ]
    return {
        "id": number,
        "name": concepts.label or f"Concept set {number}",
        "expression": {"items": items},
    }


@dataclass
class _Export:
    sets: list[dict[str, Any]] = field(default_factory=list)

    def criteria(self, criterion: Criterion | PrimaryCriterion, path: str) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if criterion.concepts is not None:
            body["CodesetId"] = len(self.sets)
            self.sets.append(
                _concept_set_json(criterion.concepts, len(self.sets), f"{path}.concepts")
            )
        if criterion.value is not None:
            value = criterion.value
            if value.min is not None and value.max is not None:
                body["ValueAsNumber"] = {"Value": value.min, "Extent": value.max, "Op": "bt"}
            elif value.min is not None:
                body["ValueAsNumber"] = {"Value": value.min, "Op": "gte"}
            elif value.max is not None:
                body["ValueAsNumber"] = {"Value": value.max, "Op": "lte"}
            if value.unit_concept_ids:
                body["Unit"] = [{"CONCEPT_ID": unit} for unit in value.unit_concept_ids]
        if isinstance(criterion, PrimaryCriterion) and criterion.first_in_history:
            body["First"] = True
        return {OUR_DOMAINS[(criterion.domain, criterion.source)]: body}


def _window_json(start: int | None, end: int | None) -> dict[str, Any]:
    def end_json(days: int | None) -> dict[str, Any]:
        if days is None:
            return {"Coeff": -1}
        return {"Days": abs(days), "Coeff": -1 if days < 0 else 1}

    start_json = end_json(start)
    end_part = end_json(end) if end is not None else {"Coeff": 1}
    return {"Start": start_json, "End": end_part, "UseIndexEnd": False, "UseEventEnd": False}


def definition_to_circe(definition: CohortDefinition) -> dict[str, Any]:
    """Our definition as a Circe cohort expression that ATLAS can import.

    Raises `CirceUnsupported` for ICD-10 codes (Circe concept sets hold concept ids only).
    """
    export = _Export()
    primary = export.criteria(definition.primary, "primary")
    rules: list[dict[str, Any]] = []
    demographic: dict[str, Any] = {}
    if definition.age is not None and (
        definition.age.min is not None or definition.age.max is not None
    ):
        low, high = definition.age.min, definition.age.max
        if low is not None and high is not None:
            demographic["Age"] = {"Value": low, "Extent": high, "Op": "bt"}
        elif low is not None:
            demographic["Age"] = {"Value": low, "Op": "gte"}
        else:
            demographic["Age"] = {"Value": high, "Op": "lte"}
    if definition.sex and len(definition.sex) < len(GENDER_CONCEPTS):
        demographic["Gender"] = [{"CONCEPT_ID": GENDER_CONCEPTS[s]} for s in definition.sex]
    if demographic:
        rules.append(
            {
                "name": "Age and sex",
                "expression": {
                    "Type": "ALL",
                    "CriteriaList": [],
                    "DemographicCriteriaList": [demographic],
                    "Groups": [],
                },
            }
        )
    for side, criteria in (
        ("inclusions", definition.inclusions),
        ("exclusions", definition.exclusions),
    ):
        for position, criterion in enumerate(criteria):
            occurrence = (
                {"Type": AT_LEAST, "Count": criterion.min_count}
                if side == "inclusions"
                else {"Type": EXACTLY, "Count": 0}
            )
            item = {
                "Criteria": export.criteria(criterion, f"{side}.{position}"),
                "StartWindow": _window_json(criterion.window.start, criterion.window.end),
                "Occurrence": occurrence,
            }
            rules.append(
                {
                    "name": criterion.label or f"{side[:-1]} {position + 1}",
                    "expression": {
                        "Type": "ALL",
                        "CriteriaList": [item],
                        "DemographicCriteriaList": [],
                        "Groups": [],
                    },
                }
            )
    return {
        "title": definition.title,
        "ConceptSets": export.sets,
        "PrimaryCriteria": {
            "CriteriaList": [primary],
            "ObservationWindow": {
                "PriorDays": definition.observation.prior_days,
                "PostDays": definition.observation.post_days,
            },
            "PrimaryCriteriaLimit": {"Type": "First"},
        },
        "QualifiedLimit": {"Type": "First"},
        "ExpressionLimit": {"Type": "First"},
        "InclusionRules": rules,
        "CensoringCriteria": [],
        "CollapseSettings": {"CollapseType": "ERA", "EraPad": 0},
        "CensorWindow": {},
    }
