"""Find concepts in a region's vocabulary by name, synonym (Swedish where present) or code."""

from __future__ import annotations

from typing import Any

import sqlglot.expressions as exp

from studienav.counts.engines import ConceptMatch
from studienav.counts.store import store_connect, store_path

MAX_TEXT = 100
MAX_LIMIT = 100
COLUMNS = (
    "concept_id",
    "concept_name",
    "domain_id",
    "vocabulary_id",
    "concept_code",
    "standard_concept",
)


def _match(row: tuple[Any, ...]) -> ConceptMatch:
    """A row of COLUMNS (and perhaps the text that matched) as a ConceptMatch."""
    matched = row[6] if len(row) > 6 else None
    return ConceptMatch(
        concept_id=int(row[0]),
        name=str(row[1]),
        domain=str(row[2] or ""),
        vocabulary=str(row[3] or ""),
        code=str(row[4] or ""),
        standard=row[5] == "S",
        matched=str(matched or row[1]),
    )


def _contains(column: exp.Expr, needle: str) -> exp.Expr:
    # strpos on lower-cased text: no LIKE, so '%' and '_' in the search are plain characters.
    return exp.GT(
        this=exp.func("strpos", exp.Lower(this=column), exp.Literal.string(needle.lower())),
        expression=exp.Literal.number(0),
    )


def concepts_search(*, region: str, text: str, limit: int = 20) -> list[ConceptMatch]:
    """Concepts whose code equals `text` or whose name or synonym contains it (any case).

    Exact code matches come first, then standard concepts, then shorter names.
    """
    needle = " ".join((text or "").split())[:MAX_TEXT]
    if not needle:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    folder = store_path(region=region, must_exist=True)
    c = "c"
    code_match = exp.EQ(
        this=exp.Upper(this=exp.column("concept_code", c)),
        expression=exp.Literal.string(needle.upper()),
    )
    synonyms = (
        exp.select(
            exp.column("concept_id", "s"), exp.column("concept_synonym_name", "s").as_("matched")
        )
        .from_(exp.table_("concept_synonym", alias="s"))
        .where(_contains(exp.column("concept_synonym_name", "s"), needle))
    )
    names = (
        exp.select(exp.column("concept_id", c), exp.column("concept_name", c).as_("matched"))
        .from_(exp.table_("concept", alias=c))
        .where(exp.or_(_contains(exp.column("concept_name", c), needle), code_match))
    )
    hits = exp.union(names, synonyms, distinct=False)
    ranked = (
        exp.select(
            exp.column("concept_id", c),
            exp.column("concept_name", c),
            exp.column("domain_id", c),
            exp.column("vocabulary_id", c),
            exp.column("concept_code", c),
            exp.column("standard_concept", c),
            exp.func("min", exp.column("matched", "h")).as_("matched"),
        )
        .from_(exp.table_("concept", alias=c))
        .join(
            hits.subquery("h"),
            on=exp.EQ(this=exp.column("concept_id", "h"), expression=exp.column("concept_id", c)),
        )
        .group_by(*(exp.column(n, c) for n in COLUMNS))
        .order_by(
            exp.Ordered(
                this=exp.Case(
                    ifs=[exp.If(this=code_match.copy(), true=exp.Literal.number(0))],
                    default=exp.Literal.number(1),
                )
            ),
            exp.Ordered(
                this=exp.Case(
                    ifs=[
                        exp.If(
                            this=exp.EQ(
                                this=exp.column("standard_concept", c),
                                expression=exp.Literal.string("S"),
                            ),
                            true=exp.Literal.number(0),
                        )
                    ],
                    default=exp.Literal.number(1),
                )
            ),
            exp.Ordered(this=exp.Length(this=exp.column("concept_name", c))),
            exp.Ordered(this=exp.column("concept_id", c)),
        )
        .limit(limit)
    )
    with store_connect(folder=folder) as connection:
        rows = connection.execute(ranked.sql(dialect="duckdb")).fetchall()
    return [_match(row) for row in rows]


def concept_get(*, region: str, concept_id: int) -> ConceptMatch | None:
    """One concept of the region's vocabulary by its id, or None when it has no such concept."""
    folder = store_path(region=region, must_exist=True)
    c = "c"
    query = (
        exp.select(*(exp.column(n, c) for n in COLUMNS))
        .from_(exp.table_("concept", alias=c))
        .where(exp.EQ(this=exp.column("concept_id", c), expression=exp.Literal.number(concept_id)))
        .limit(1)
    )
    with store_connect(folder=folder) as connection:
        row = connection.execute(query.sql(dialect="duckdb")).fetchone()
    return None if row is None else _match(row)
