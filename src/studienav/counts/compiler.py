"""Compile a cohort definition into one SQL query (a syntax tree) for DuckDB, Spark and PostgreSQL.

The query returns one row: the number of persons left after each step of the attrition
(the index event, then age, sex, each inclusion and each exclusion, in that order); the
last column is the cohort's size. The tree is built with sqlglot expressions, never by
pasting text, and rendered to each dialect from the same tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot.expressions as exp
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studienav.counts.definition import (
    GENDER_CONCEPTS,
    CohortDefinition,
    ConceptSet,
    Criterion,
    Domain,
    PrimaryCriterion,
    Source,
    ValueRange,
    Window,
    criterion_title,
)

DIALECTS = ("duckdb", "spark", "postgres")

# The rule every count follows; the builder shows it next to the attrition table.
OBSERVATION_RULE = gettext_lazy(
    "Counts follow the OHDSI Circe rule: an event counts only if it lies inside an observation "
    "period. The index date is a person's first qualifying event of the primary criterion that "
    "lies inside an observation period with the required days of observation before and after "
    "it; inclusion and exclusion criteria look only at events inside that same observation "
    "period. Age at the index date is the year of the index date minus the year of birth."
)


@dataclass(frozen=True)
class EventTable:
    """Where a domain's events live: table and the columns a criterion needs."""

    table: str
    concept: str
    start: str
    value: str | None = None
    unit: str | None = None


EVENT_TABLES: dict[tuple[Domain, Source], EventTable] = {
    (Domain.CONDITION, Source.EVENTS): EventTable(
        "condition_occurrence", "condition_concept_id", "condition_start_date"
    ),
    (Domain.CONDITION, Source.ERA): EventTable(
        "condition_era", "condition_concept_id", "condition_era_start_date"
    ),
    (Domain.DRUG, Source.EVENTS): EventTable(
        "drug_exposure", "drug_concept_id", "drug_exposure_start_date"
    ),
    (Domain.DRUG, Source.ERA): EventTable("drug_era", "drug_concept_id", "drug_era_start_date"),
    (Domain.PROCEDURE, Source.EVENTS): EventTable(
        "procedure_occurrence", "procedure_concept_id", "procedure_date"
    ),
    (Domain.MEASUREMENT, Source.EVENTS): EventTable(
        "measurement",
        "measurement_concept_id",
        "measurement_date",
        "value_as_number",
        "unit_concept_id",
    ),
    (Domain.OBSERVATION, Source.EVENTS): EventTable(
        "observation",
        "observation_concept_id",
        "observation_date",
        "value_as_number",
        "unit_concept_id",
    ),
    (Domain.VISIT, Source.EVENTS): EventTable(
        "visit_occurrence", "visit_concept_id", "visit_start_date"
    ),
    (Domain.OBSERVATION_PERIOD, Source.EVENTS): EventTable(
        "observation_period", "period_type_concept_id", "observation_period_start_date"
    ),
}

ICD10_VOCABULARIES = ("ICD10", "ICD10CM")
# Resolved concept sets up to this size are written into the query as literals.
MAX_INLINE_CONCEPTS = 1000


@dataclass(frozen=True)
class CompiledCount:
    """A compiled definition: the query's tree, and one attrition name per output column."""

    tree: exp.Expr
    names: tuple[str, ...]

    def render(self, dialect: str) -> str:
        """The query as text in one of `DIALECTS`."""
        return self.tree.sql(dialect=dialect)


@dataclass(frozen=True)
class RenderedCount:
    """A compiled definition rendered for one dialect."""

    sql: str
    names: tuple[str, ...]


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def _num(value: int | float) -> exp.Expr:
    return exp.Literal.number(value)


def _ints(values: tuple[int, ...] | list[int]) -> list[exp.Expr]:
    return [_num(v) for v in sorted(set(values))]


def _days_after(column: exp.Expr, days: int) -> exp.Expr:
    if days == 0:
        return column
    shifted = exp.DateAdd(this=column, expression=_num(days), unit=exp.Var(this="DAY"))
    return exp.cast(shifted, exp.DataType.Type.DATE)


def _concept_set_query(concepts: ConceptSet) -> exp.Query:
    """The concept ids a set stands for (Circe's concept set expression, ICD-10 added)."""
    parts: list[exp.Query] = []

    def with_descendants(ancestors: exp.Expr) -> exp.Select:
        # Descendants must be valid concepts, as in Circe; level 0 of the ancestry is the concept.
        return (
            exp.select(_col("descendant_concept_id", "ca").as_("concept_id"))
            .from_(exp.table_("concept_ancestor", alias="ca"))
            .join(
                exp.table_("concept", alias="dc"),
                on=exp.and_(
                    exp.EQ(
                        this=_col("concept_id", "dc"),
                        expression=_col("descendant_concept_id", "ca"),
                    ),
                    exp.Is(this=_col("invalid_reason", "dc"), expression=exp.Null()),
                ),
            )
            .where(ancestors)
        )

    if concepts.concept_ids:
        ids = _ints(concepts.concept_ids)
        parts.append(
            exp.select(_col("concept_id", "c"))
            .from_(exp.table_("concept", alias="c"))
            .where(exp.In(this=_col("concept_id", "c"), expressions=ids))
        )
        if concepts.descendants:
            parts.append(
                with_descendants(exp.In(this=_col("ancestor_concept_id", "ca"), expressions=ids))
            )
    if concepts.icd10_codes:
        exact = [
            exp.Literal.string(code) for code in concepts.icd10_codes if not code.endswith("*")
        ]
        prefixes = [code[:-1] for code in concepts.icd10_codes if code.endswith("*")]
        matches: list[exp.Expr] = []
        if exact:
            matches.append(exp.In(this=_col("concept_code", "s"), expressions=exact))
        for prefix in prefixes:
            matches.append(
                exp.Like(
                    this=_col("concept_code", "s"), expression=exp.Literal.string(prefix + "%")
                )
            )
        mapped = (
            exp.select(_col("concept_id_2", "r").as_("concept_id"))
            .from_(exp.table_("concept", alias="s"))
            .join(
                exp.table_("concept_relationship", alias="r"),
                on=exp.and_(
                    exp.EQ(this=_col("concept_id_1", "r"), expression=_col("concept_id", "s")),
                    exp.EQ(
                        this=_col("relationship_id", "r"), expression=exp.Literal.string("Maps to")
                    ),
                    exp.Is(this=_col("invalid_reason", "r"), expression=exp.Null()),
                ),
            )
            .where(
                exp.and_(
                    exp.In(
                        this=_col("vocabulary_id", "s"),
                        expressions=[exp.Literal.string(v) for v in ICD10_VOCABULARIES],
                    ),
                    exp.or_(*matches),
                )
            )
        )
        parts.append(mapped)
        if concepts.descendants:
            parts.append(
                with_descendants(
                    exp.In(this=_col("ancestor_concept_id", "ca"), query=mapped.subquery())
                )
            )
    query: exp.Query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=True)
    if concepts.excluded_concept_ids:
        ids = _ints(concepts.excluded_concept_ids)
        excluded: exp.Query = (
            exp.select(_col("concept_id", "c"))
            .from_(exp.table_("concept", alias="c"))
            .where(exp.In(this=_col("concept_id", "c"), expressions=ids))
        )
        if concepts.descendants:
            excluded = exp.union(
                excluded,
                with_descendants(exp.In(this=_col("ancestor_concept_id", "ca"), expressions=ids)),
                distinct=True,
            )
        query = exp.except_(query, excluded, distinct=True)
    return query


def _value_conditions(value: ValueRange | None, table: EventTable, alias: str) -> list[exp.Expr]:
    if value is None or table.value is None or table.unit is None:
        return []
    conditions: list[exp.Expr] = []
    if value.min is not None:
        conditions.append(exp.GTE(this=_col(table.value, alias), expression=_num(value.min)))
    if value.max is not None:
        conditions.append(exp.LTE(this=_col(table.value, alias), expression=_num(value.max)))
    if value.unit_concept_ids:
        conditions.append(
            exp.In(this=_col(table.unit, alias), expressions=_ints(value.unit_concept_ids))
        )
    return conditions


class _Builder:
    """Collects the common table expressions of one query."""

    def __init__(self, resolved: dict[ConceptSet, tuple[int, ...]] | None = None) -> None:
        self.ctes: list[tuple[str, exp.Query]] = []
        self.resolved = resolved or {}

    def add(self, name: str, query: exp.Query) -> str:
        self.ctes.append((name, query))
        return name

    def concept_filter(
        self, concepts: ConceptSet | None, column: exp.Column, name: str
    ) -> list[exp.Expr]:
        if concepts is None:
            return []
        ids = self.resolved.get(concepts)
        if ids is not None and len(ids) <= MAX_INLINE_CONCEPTS:
            # Concept ids written into the query let the Parquet reader skip row groups.
            if not ids:
                return [exp.false()]
            return [exp.In(this=column, expressions=[_num(i) for i in ids])]
        codeset = self.add(name, _concept_set_query(concepts))
        return [exp.In(this=column, query=exp.select("concept_id").from_(codeset).subquery())]

    def primary(self, primary: PrimaryCriterion, prior_days: int, post_days: int) -> str:
        """The index events: each person's first qualifying event inside observation."""
        table = EVENT_TABLES[(primary.domain, primary.source)]
        conditions = self.concept_filter(
            primary.concepts, _col(table.concept, "e"), "codeset_primary"
        )
        conditions += _value_conditions(primary.value, table, "e")
        events: exp.Select = exp.select(
            _col("person_id", "e"), _col(table.start, "e").as_("event_date")
        ).from_(exp.table_(table.table, alias="e"))
        if conditions:
            events = events.where(exp.and_(*conditions))
        if primary.first_in_history:
            ranked = events.select(
                exp.Window(
                    this=exp.RowNumber(),
                    partition_by=[_col("person_id", "e")],
                    order=exp.Order(expressions=[exp.Ordered(this=_col(table.start, "e"))]),
                ).as_("ordinal")
            )
            events = (
                exp.select(_col("person_id", "f"), _col("event_date", "f"))
                .from_(ranked.subquery("f"))
                .where(exp.EQ(this=_col("ordinal", "f"), expression=_num(1)))
            )
        self.add("primary_events", events)
        in_observation = (
            exp.select(
                _col("person_id", "pe"),
                _col("event_date", "pe"),
                _col("observation_period_start_date", "op").as_("op_start"),
                _col("observation_period_end_date", "op").as_("op_end"),
                exp.Window(
                    this=exp.RowNumber(),
                    partition_by=[_col("person_id", "pe")],
                    order=exp.Order(expressions=[exp.Ordered(this=_col("event_date", "pe"))]),
                ).as_("ordinal"),
            )
            .from_(exp.table_("primary_events", alias="pe"))
            .join(
                exp.table_("observation_period", alias="op"),
                on=exp.and_(
                    exp.EQ(this=_col("person_id", "op"), expression=_col("person_id", "pe")),
                    exp.GTE(
                        this=_col("event_date", "pe"),
                        expression=_days_after(
                            _col("observation_period_start_date", "op"), prior_days
                        ),
                    ),
                    exp.LTE(
                        this=_days_after(_col("event_date", "pe"), post_days),
                        expression=_col("observation_period_end_date", "op"),
                    ),
                ),
            )
        )
        index = (
            exp.select(
                _col("person_id", "q"),
                _col("event_date", "q").as_("index_date"),
                _col("op_start", "q"),
                _col("op_end", "q"),
            )
            .from_(in_observation.subquery("q"))
            .where(exp.EQ(this=_col("ordinal", "q"), expression=_num(1)))
        )
        return self.add("index_events", index)

    def criterion(self, criterion: Criterion, name: str) -> str:
        """Persons of the index events with enough events of `criterion` in its window."""
        table = EVENT_TABLES[(criterion.domain, criterion.source)]
        conditions: list[exp.Expr] = [
            exp.EQ(this=_col("person_id", "e"), expression=_col("person_id", "i")),
            exp.GTE(this=_col(table.start, "e"), expression=_col("op_start", "i")),
            exp.LTE(this=_col(table.start, "e"), expression=_col("op_end", "i")),
        ]
        conditions += _window_conditions(criterion.window, _col(table.start, "e"))
        conditions += self.concept_filter(
            criterion.concepts, _col(table.concept, "e"), f"codeset_{name}"
        )
        conditions += _value_conditions(criterion.value, table, "e")
        query = (
            exp.select(_col("person_id", "i"))
            .from_(exp.table_("index_events", alias="i"))
            .join(exp.table_(table.table, alias="e"), on=exp.and_(*conditions))
            .group_by(_col("person_id", "i"))
        )
        if criterion.min_count > 1:
            query = query.having(
                exp.GTE(this=exp.Count(this=exp.Star()), expression=_num(criterion.min_count))
            )
        return self.add(name, query)


def _window_conditions(window: Window, event_date: exp.Expr) -> list[exp.Expr]:
    conditions: list[exp.Expr] = []
    if window.start is not None:
        conditions.append(
            exp.GTE(this=event_date, expression=_days_after(_col("index_date", "i"), window.start))
        )
    if window.end is not None:
        conditions.append(
            exp.LTE(this=event_date, expression=_days_after(_col("index_date", "i"), window.end))
        )
    return conditions


def concept_sets(definition: CohortDefinition) -> list[ConceptSet]:
    """Every distinct concept set of a definition, in order."""
    found: list[ConceptSet] = []
    criteria: list[PrimaryCriterion | Criterion] = [definition.primary]
    criteria += [*definition.inclusions, *definition.exclusions]
    for criterion in criteria:
        if criterion.concepts is not None and criterion.concepts not in found:
            found.append(criterion.concepts)
    return found


def concept_set_query(concepts: ConceptSet) -> exp.Query:
    """The query that lists a concept set's concept ids (standard, descendants, mapped ICD-10)."""
    return _concept_set_query(concepts)


def compile_definition(
    definition: CohortDefinition, *, resolved: dict[ConceptSet, tuple[int, ...]] | None = None
) -> CompiledCount:
    """Build the attrition query's tree for `definition` (the same tree for every dialect)."""
    builder = _Builder(resolved)
    builder.primary(
        definition.primary, definition.observation.prior_days, definition.observation.post_days
    )
    names: list[str] = [_("Index event: %(name)s") % {"name": criterion_title(definition.primary)}]
    flags: list[exp.Expr] = []
    joins: list[tuple[str, str]] = []

    age = definition.age
    if age is not None and (age.min is not None or age.max is not None):
        years = exp.Sub(
            this=exp.Year(this=_col("index_date", "i")), expression=_col("year_of_birth", "p")
        )
        bounds: list[exp.Expr] = []
        if age.min is not None:
            bounds.append(exp.GTE(this=years.copy(), expression=_num(age.min)))
        if age.max is not None:
            bounds.append(exp.LTE(this=years.copy(), expression=_num(age.max)))
        flags.append(exp.and_(*bounds))
        names.append(_("Age"))
    if definition.sex and len(definition.sex) < len(GENDER_CONCEPTS):
        flags.append(
            exp.In(
                this=_col("gender_concept_id", "p"),
                expressions=_ints([GENDER_CONCEPTS[s] for s in definition.sex]),
            )
        )
        names.append(_("Sex"))
    for position, criterion in enumerate(definition.inclusions):
        name = builder.criterion(criterion, f"inclusion_{position}")
        joins.append((name, f"n{position}"))
        flags.append(
            exp.Not(this=exp.Is(this=_col("person_id", f"n{position}"), expression=exp.Null()))
        )
        names.append(_("With %(name)s") % {"name": criterion_title(criterion)})
    for position, criterion in enumerate(definition.exclusions):
        name = builder.criterion(criterion, f"exclusion_{position}")
        joins.append((name, f"x{position}"))
        flags.append(exp.Is(this=_col("person_id", f"x{position}"), expression=exp.Null()))
        names.append(_("Without %(name)s") % {"name": criterion_title(criterion)})

    columns: list[exp.Expr] = [exp.Count(this=exp.Star()).as_("step_0")]
    for position in range(1, len(flags) + 1):
        passed = exp.and_(*(flag.copy() for flag in flags[:position]))
        columns.append(
            exp.Sum(this=exp.Case(ifs=[exp.If(this=passed, true=_num(1))], default=_num(0))).as_(
                f"step_{position}"
            )
        )
    query = (
        exp.select(*columns)
        .from_(exp.table_("index_events", alias="i"))
        .join(
            exp.table_("person", alias="p"),
            on=exp.EQ(this=_col("person_id", "p"), expression=_col("person_id", "i")),
        )
    )
    for name, alias in joins:
        query = query.join(
            exp.table_(name, alias=alias),
            on=exp.EQ(this=_col("person_id", alias), expression=_col("person_id", "i")),
            join_type="left",
        )
    for cte_name, cte_query in builder.ctes:
        query = query.with_(cte_name, as_=cte_query)
    return CompiledCount(tree=query, names=tuple(names))


def compile_attrition(
    definition: CohortDefinition,
    *,
    dialect: str = "duckdb",
    resolved: dict[ConceptSet, tuple[int, ...]] | None = None,
) -> RenderedCount:
    """Compile `definition` and render it for `dialect` (one of `DIALECTS`)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    compiled = compile_definition(definition, resolved=resolved)
    return RenderedCount(sql=compiled.render(dialect), names=compiled.names)
