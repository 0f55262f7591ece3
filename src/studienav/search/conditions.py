"""The condition vocabulary (`registry/data/conditions.csv`, sources in the README beside it):
its one reader, the keys a study's conditions stand for, and a condition's name in a language.

Each row is one condition: its ICD-10 code, a Swedish and an English name, Socialstyrelsen's
ICD-10-SE title of the code, and synonyms in both languages (`;`-separated). Search widens a
query with a row's names (`studienav.search.text`); matching finds a person's conditions in a
study by the keys below; the public pages name a record's condition in the page's language.

Keys. A condition is found in a study's condition or keyword (both folded) when one contains
the other (the shorter at least four characters, else they are equal), when a synonym of the
person's condition is found so, or when both share a three-character ICD-10 code. The person's
own word is found inside the study's text only from the start of one of its words ("diabetes"
in "type 2 diabetes", not "betes"); synonyms and the study's text in the person's words are
found anywhere. The search index holds, per study, the keys its conditions and keywords stand
for (`study_condition_keys`, rows of `SearchCondition`), and a person's conditions become keys
to look up (`condition_keys`). A change of the vocabulary changes keys: the index's keys are
then rewritten (a migration, or `studienav search-reindex`).
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from studienav.core.places import fold
from studienav.registry.icd10 import icd10_normalise

CONDITIONS_CSV = Path(__file__).resolve().parent.parent / "registry" / "data" / "conditions.csv"

MIN_CONTAINED = 4  # shorter words match only exactly ("ms" must not match "chromosome")
# A study text longer than this is found in a person's words only when equal to them.
MAX_CONTAINED = 40
MAX_KEY = 200
# Kinds of key: ICD-10 code, synonym group, whole folded text, text from the start of a word.
CODE, GROUP, TEXT, WORDS = "c", "g", "t", "w"
PREFIX_END = "{"  # sorts after every folded character (a-z, 0-9)
_WORD = re.compile(r"[^\W_]+")
# What ICD-10-SE explains in brackets after a title: "Glaukom (grön starr)".
_BRACKETED = re.compile(r"[(\[]([^()\[\]]*)[)\]]")


@dataclass(frozen=True)
class Condition:
    """One row of the vocabulary."""

    icd10: str  # normalised ("C50", "M54.5"), or empty
    name_sv: str
    name_en: str
    icd10se: str  # Socialstyrelsen's title of the code, as published
    synonyms_sv: tuple[str, ...]
    synonyms_en: tuple[str, ...]

    @property
    def names_sv(self) -> tuple[str, ...]:
        """The Swedish names: the name, the ICD-10-SE title and the words it explains itself
        with in brackets ("Glaukom (grön starr)": "Glaukom", "grön starr"), the synonyms."""
        title = [_BRACKETED.sub(" ", self.icd10se)]
        # A bracket that names codes ("(E10-E14)") is no name.
        title += [part for part in _BRACKETED.findall(self.icd10se) if not _has_digit(part)]
        names = [self.name_sv, *title, *self.synonyms_sv]
        return tuple(dict.fromkeys(" ".join(n.split()) for n in names if n.strip()))

    @property
    def names_en(self) -> tuple[str, ...]:
        names = [self.name_en, *self.synonyms_en]
        return tuple(dict.fromkeys(" ".join(n.split()) for n in names if n.strip()))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.names_sv, *self.names_en]))


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(";") if part.strip())


@cache
def conditions() -> tuple[Condition, ...]:
    """The vocabulary, in the file's order."""
    with CONDITIONS_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Condition(
                icd10=icd10_normalise(row.get("icd10") or "") or "",
                name_sv=(row.get("name_sv") or "").strip(),
                name_en=(row.get("name_en") or "").strip(),
                icd10se=(row.get("icd10se") or "").strip(),
                synonyms_sv=_split(row.get("synonyms_sv")),
                synonyms_en=_split(row.get("synonyms_en")),
            )
            for row in csv.DictReader(handle)
        )


# ---------------------------------------------------------------- a condition's name


@cache
def _by_name() -> dict[str, Condition]:
    """Folded name -> its condition; a row's own names before other rows' synonyms."""
    found: dict[str, Condition] = {}
    for condition in conditions():
        for name in (condition.name_sv, condition.name_en):
            found.setdefault(fold(name), condition)
    for condition in conditions():
        for name in condition.names:
            found.setdefault(fold(name), condition)
    found.pop("", None)
    return found


@cache
def _by_code() -> dict[str, Condition]:
    found: dict[str, Condition] = {}
    for condition in conditions():
        if condition.icd10:
            found.setdefault(condition.icd10, condition)
    return found


def condition_found(name: str, icd10: str = "") -> Condition | None:
    """The vocabulary's condition a record's condition is: by its name or a synonym, else by
    its ICD-10 code (the code as given, then shortened to its category: G47.09, G47.0, G47)."""
    by_name = _by_name().get(fold(name))
    if by_name is not None or not icd10:
        return by_name
    code = icd10_normalise(icd10) or ""
    while len(code) >= 3:
        if (by_code := _by_code().get(code.rstrip("."))) is not None:
            return by_code
        code = code[:-1]
    return None


def condition_name(name: str, icd10: str, language: str) -> str:
    """The vocabulary's name, in `language` ("sv" or "en"), of a record's condition (found by
    name, else by ICD-10 code); empty when none is found or the record already names it so."""
    condition = condition_found(name, icd10)
    if condition is None:
        return ""
    names = condition.names_en if language == "en" else condition.names_sv
    if fold(name) in {fold(n) for n in names}:
        return ""
    own = condition.name_en if language == "en" else condition.name_sv
    return own[:1].upper() + own[1:]


# ---------------------------------------------------------------- keys


@dataclass(frozen=True)
class _Terms:
    """The vocabulary's folded names (terms), with what finds them fast in a text."""

    groups: tuple[tuple[str, frozenset[str]], ...]  # (ICD-10 code, terms) per condition
    index: dict[str, tuple[int, ...]]  # term -> positions of the conditions it names
    group_keys: tuple[str, ...]
    by_start: dict[str, tuple[str, ...]]  # a term's first MIN_CONTAINED characters -> terms
    joined: str  # every term, each between newlines (no folded text holds one)
    starts: tuple[int, ...]  # where each term of `ordered` starts in `joined`
    ordered: tuple[str, ...]

    def inside(self, folded: str) -> set[str]:
        """The terms of at least MIN_CONTAINED characters inside the folded text."""
        found = set()
        for start in range(len(folded) - MIN_CONTAINED + 1):
            for term in self.by_start.get(folded[start : start + MIN_CONTAINED], ()):
                if folded.startswith(term, start):
                    found.add(term)
        return found

    def around(self, folded: str) -> set[str]:
        """The terms the folded text is inside of."""
        found = set()
        at = self.joined.find(folded)
        while at != -1:
            found.add(self.ordered[bisect_right(self.starts, at) - 1])
            at = self.joined.find(folded, at + 1)
        return found


@cache
def _terms() -> _Terms:
    groups = tuple(
        (condition.icd10, frozenset(t for name in condition.names if (t := fold(name))))
        for condition in conditions()
    )
    index: dict[str, list[int]] = {}
    for position, (_code, terms) in enumerate(groups):
        for term in terms:
            index.setdefault(term, []).append(position)
    # Named by code and English name rather than by position or by synonyms, so that a new row
    # or a new synonym does not change the keys of the others.
    group_keys = tuple(
        (GROUP + fold(condition.icd10) + fold(condition.name_en))[:MAX_KEY]
        for condition in conditions()
    )
    by_start: dict[str, list[str]] = {}
    for term in index:
        if len(term) >= MIN_CONTAINED:
            by_start.setdefault(term[:MIN_CONTAINED], []).append(term)
    ordered = tuple(index)
    starts, at = [], 1
    for term in ordered:
        starts.append(at)
        at += len(term) + 1
    return _Terms(
        groups=groups,
        index={term: tuple(positions) for term, positions in index.items()},
        group_keys=group_keys,
        by_start={start: tuple(terms) for start, terms in by_start.items()},
        joined="\n" + "\n".join(ordered) + "\n",
        starts=tuple(starts),
        ordered=ordered,
    )


def _condition_groups(folded: str) -> set[int]:
    """The conditions a person's folded condition names: exactly, else inside a synonym."""
    terms = _terms()
    found = set(terms.index.get(folded, ()))
    if not found and len(folded) >= MIN_CONTAINED:
        found = {p for term in terms.around(folded) for p in terms.index[term]}
    return found


def condition_terms(condition: str) -> tuple[frozenset[str], frozenset[str]]:
    """The folded words and 3-character ICD-10 codes a condition stands for, with synonyms."""
    folded = fold(condition)
    if not folded:
        return frozenset(), frozenset()
    groups = _terms().groups
    words = {folded}
    codes = set()
    for position in _condition_groups(folded):
        code, group_terms = groups[position]
        words |= group_terms
        if code:
            codes.add(code[:3])
    return frozenset(words), frozenset(codes)


@lru_cache(maxsize=65536)
def _text_keys(text: str) -> frozenset[str]:
    """The keys of one condition name or keyword of a study."""
    folded = fold(text)
    if not folded:
        return frozenset()
    words = [w for w in (fold(word) for word in _WORD.findall(text)) if w]
    keys = {TEXT + folded[:MAX_KEY], WORDS + folded[:MAX_KEY]}
    keys |= {WORDS + "".join(words[i:])[:MAX_KEY] for i in range(1, len(words))}
    terms = _terms()
    # A term names the text when the two are equal or one holds the other (`_contains`).
    named = terms.inside(folded)
    if folded in terms.index:
        named.add(folded)
    if len(folded) >= MIN_CONTAINED:
        named |= terms.around(folded)
    keys |= {terms.group_keys[p] for term in named for p in terms.index[term]}
    return frozenset(keys)


def study_condition_keys(
    *, names: Iterable[str], codes: Iterable[str], keywords: Iterable[str]
) -> set[str]:
    """The keys a study's conditions (names and ICD-10 codes) and keywords stand for."""
    keys = {CODE + code.strip().upper()[:3] for code in codes if code.strip()}
    for text in [*names, *keywords]:
        keys |= _text_keys(text)
    return keys


@dataclass(frozen=True)
class ConditionKeys:
    """One condition of a person as keys: it is found in a study that has one of `exact` or
    a key starting with `prefix`."""

    condition: str
    exact: frozenset[str]
    prefix: str

    def found_in(self, key: str) -> bool:
        return key in self.exact or bool(self.prefix and key.startswith(self.prefix))


@lru_cache(maxsize=4096)
def _person_keys(folded: str) -> tuple[frozenset[str], str]:
    terms = _terms()
    exact = {TEXT + folded[:MAX_KEY]}
    for start in range(len(folded)):
        end = min(len(folded), start + MAX_CONTAINED)
        exact |= {TEXT + folded[start:stop] for stop in range(start + MIN_CONTAINED, end + 1)}
    for position in _condition_groups(folded):
        code, _terms_of = terms.groups[position]
        exact.add(terms.group_keys[position])
        if code:
            exact.add(CODE + code[:3])
    prefix = WORDS + folded[:MAX_KEY] if len(folded) >= MIN_CONTAINED else ""
    return frozenset(exact), prefix


def condition_keys(wanted: Iterable[str]) -> list[ConditionKeys]:
    """The keys of each of a person's conditions (blank ones left out)."""
    out = []
    for condition in wanted:
        folded = fold(condition) if isinstance(condition, str) else ""
        if folded:
            exact, prefix = _person_keys(folded)
            out.append(ConditionKeys(condition, exact, prefix))
    return out
