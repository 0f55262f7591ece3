"""Text for the index and the queries: folding, Swedish stemming, synonyms, typo patterns.

Both databases match the same way: the indexed text is folded (lower case, no diacritics,
words separated by single spaces) and a query becomes terms, each a set of LIKE patterns
over that text. SQLite answers the patterns from an FTS5 trigram index, PostgreSQL from a
pg_trgm GIN index; both index LIKE, so the results are the same for the same data.

- Stemming: a query word loses its Swedish inflection (`bröstcancern` -> `brostcanc`) and is
  matched as a substring, which also finds compounds (`cancer` in `bröstcancer`). A word or
  abbreviation of fewer than four letters (`kol`, `RA`) matches only as a whole word.
- Place names (the sites' organisations, towns and regions) are kept apart from the study's
  own text and matched from the start of a word, so `astma` does not find every study at
  Västmanlands sjukhus (`v-astma-nlands`); see `studienav.search.services`.
- One typo in words of five letters or more: the word with one letter replaced, removed or
  added (`diabetis` -> `diabet_s`), anchored at the start of a word.
- Synonyms: a phrase naming a condition in `registry/data/conditions.csv` (Swedish or English
  name or synonym, or its ICD-10 code) matches any name of that condition.
"""

from __future__ import annotations

import csv
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from studienav.registry.icd10 import icd10_name, icd10_normalise

CONDITIONS_CSV = Path(__file__).resolve().parent.parent / "registry" / "data" / "conditions.csv"

try:  # a well-kept Snowball stemmer when installed; the suffix list below otherwise
    import snowballstemmer
except ImportError:  # pragma: no cover - depends on the environment
    snowballstemmer = None

# A stemmer keeps the word it works on in itself: one per thread (gunicorn runs threads).
_STEMMERS = threading.local()


def _snowball() -> Any:
    if snowballstemmer is None:  # pragma: no cover - depends on the environment
        return None
    stemmer = getattr(_STEMMERS, "swedish", None)
    if stemmer is None:
        stemmer = _STEMMERS.swedish = snowballstemmer.stemmer("swedish")
    return stemmer


# Snowball's Swedish step-1 suffixes (longest first), for when the stemmer is not installed.
_SUFFIXES = sorted(
    [
        "heterna",
        "hetens",
        "anden",
        "andes",
        "andet",
        "arens",
        "arnas",
        "ernas",
        "ornas",
        "heten",
        "heter",
        "arna",
        "erna",
        "orna",
        "ande",
        "arne",
        "aste",
        "ades",
        "aren",
        "erns",
        "ern",
        "ens",
        "het",
        "ast",
        "are",
        "ade",
        "ad",
        "en",
        "ar",
        "er",
        "or",
        "as",
        "es",
        "at",
        "a",
        "e",
    ],
    key=len,
    reverse=True,
)
_MIN_STEM = 4
WHOLE_WORD_BELOW = 4
TYPO_MIN_LENGTH = 5

# Words too common to narrow a search.
STOPWORDS = frozenset(
    [
        "och",
        "i",
        "om",
        "med",
        "for",
        "av",
        "pa",
        "till",
        "som",
        "en",
        "ett",
        "de",
        "den",
        "det",
        "att",
        "ar",
        "vid",
        "hos",
        "eller",
        "studie",
        "studier",
        "and",
        "or",
        "of",
        "in",
        "on",
        "for",
        "with",
        "the",
        "a",
        "an",
        "to",
        "at",
        "by",
        "study",
        "studies",
        "trial",
        "trials",
    ]
)

_ICD_QUERY = re.compile(r"^[a-z]\d{2}(?:\.?[0-9a-z]{1,2})?$")


_COMBINING = re.compile(r"[\u0300-\u036f]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, no diacritics, letters and digits in words separated by single spaces."""
    text = text.casefold().replace("æ", "ae").replace("ø", "o").replace("ß", "ss")
    # Whole documents pass through here: regexes instead of a loop over characters.
    plain = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _NOT_WORD.sub(" ", plain).strip()


def stem(word: str) -> str:
    """A folded word without its Swedish inflection; never shorter than four letters."""
    if (snowball := _snowball()) is not None:
        stemmed = str(snowball.stemWord(word))
        return stemmed if len(stemmed) >= _MIN_STEM else word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def icd10_token(code: str) -> str:
    """How a code stands in the index: `C50.9` -> `icdc509` (prefix `icdc50` finds it)."""
    return "icd" + code.lower().replace(".", "")


def typo_patterns(word: str) -> list[str]:
    """LIKE patterns for the word with one letter replaced, removed or inserted."""
    if len(word) < TYPO_MIN_LENGTH or not word.isalpha():
        return []
    variants: list[str] = []
    for i in range(len(word)):
        variants.append(word[:i] + "_" + word[i + 1 :])
        variants.append(word[:i] + word[i + 1 :])
    for i in range(1, len(word)):
        variants.append(word[:i] + "_" + word[i:])
    unique = dict.fromkeys(variants)
    return [f"% {variant}%" for variant in unique]


@dataclass(frozen=True)
class SynonymGroup:
    icd10: str
    names: tuple[str, ...]  # folded


@cache
def synonym_groups(path: Path = CONDITIONS_CSV) -> tuple[SynonymGroup, ...]:
    """The conditions with their Swedish and English names and synonyms, folded."""
    if not path.exists():
        return ()
    groups: list[SynonymGroup] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            names = [row.get("name_sv", ""), row.get("name_en", "")]
            for column in ("synonyms_sv", "synonyms_en"):
                names.extend((row.get(column) or "").split(";"))
            folded = tuple(dict.fromkeys(f for name in names if (f := fold(name))))
            code = icd10_normalise(row.get("icd10") or "") or ""
            if folded:
                groups.append(SynonymGroup(icd10=code, names=folded))
    return tuple(groups)


@cache
def _synonym_lookup(path: Path = CONDITIONS_CSV) -> dict[str, tuple[SynonymGroup, ...]]:
    """Folded name, its stemmed form, and folded ICD-10 code -> the groups it names."""
    lookup: dict[str, list[SynonymGroup]] = {}
    for group in synonym_groups(path):
        keys = set(group.names) | {_stem_phrase(name) for name in group.names}
        if group.icd10:
            keys.add(group.icd10.lower().replace(".", ""))
        for key in keys:
            lookup.setdefault(key, []).append(group)
    return {key: tuple(groups) for key, groups in lookup.items()}


def _stem_phrase(phrase: str) -> str:
    return " ".join(stem(word) for word in phrase.split())


@dataclass(frozen=True)
class Term:
    """One thing the query asks for: any exact pattern, or failing that any typo pattern."""

    text: str
    exact: tuple[str, ...]
    typos: tuple[str, ...] = ()

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.exact + self.typos


def _like(fragment: str) -> str:
    """Anywhere in the text, or as a whole word when shorter than four letters (`kol`, `ra`:
    inside words such as `alkohol` or `prostata` they would match almost every study)."""
    if len(fragment) < WHOLE_WORD_BELOW:
        return f"% {fragment} %"
    return f"%{fragment}%"


def _group_patterns(groups: tuple[SynonymGroup, ...]) -> list[str]:
    out: list[str] = []
    for group in groups:
        out.extend(_like(_stem_phrase(name)) for name in group.names)
        if group.icd10:
            out.append(_like(icd10_token(group.icd10)))
    return out


def _needed(patterns: list[str]) -> tuple[str, ...]:
    """The patterns without those that find only what another of them finds: `%astm bronkial%`
    beside `%astm%` (each text index phrase costs as much to look up as it has trigrams)."""
    unique = list(dict.fromkeys(patterns))

    def plain(pattern: str) -> str | None:
        inner = pattern[1:-1]
        if pattern[:1] != "%" or pattern[-1:] != "%" or "%" in inner or "_" in inner:
            return None
        return inner

    inners = [plain(pattern) for pattern in unique]
    return tuple(
        pattern
        for pattern, inner in zip(unique, inners, strict=True)
        if inner is None or not any(other and other != inner and other in inner for other in inners)
    )


def _code_term(word: str) -> Term | None:
    """An ICD-10 code in the query: the code, its WHO name and the condition's synonyms."""
    if not _ICD_QUERY.match(word):
        return None
    code = icd10_normalise(word)
    if code is None:
        return None
    patterns = [_like(icd10_token(code))]
    if name := fold(icd10_name(code)):
        patterns.append(_like(name))
    key = code.lower().replace(".", "")
    groups = _synonym_lookup().get(key, ())
    if not groups and "." in code:
        groups = _synonym_lookup().get(key[:3], ())
    patterns.extend(_group_patterns(groups))
    return Term(text=word, exact=_needed(patterns))


def query_terms(query: str, *, max_terms: int = 8) -> list[Term]:
    """The terms of a free-text query; every term must match (AND), any pattern of it (OR)."""
    raw_words = query.split()
    terms: list[Term] = []
    words: list[str] = []
    for raw in raw_words:
        code_term = _code_term(raw.strip(".,;:").casefold())
        if code_term is not None:
            terms.append(code_term)
        else:
            words.extend(fold(raw).split())
    lookup = _synonym_lookup()
    position = 0
    while position < len(words) and len(terms) < max_terms:
        # The longest run of words (up to four) that names a condition becomes one term.
        for size in range(min(4, len(words) - position), 0, -1):
            phrase = " ".join(words[position : position + size])
            groups = lookup.get(phrase) or lookup.get(_stem_phrase(phrase))
            if groups:
                exact = [_like(_stem_phrase(phrase)), *_group_patterns(groups)]
                typos = typo_patterns(phrase) if size == 1 else []
                terms.append(Term(phrase, _needed(exact), tuple(typos)))
                position += size
                break
        else:
            word = words[position]
            position += 1
            if word in STOPWORDS or len(word) < 2:
                continue
            terms.append(Term(word, (_like(stem(word)),), tuple(typo_patterns(word))))
    return terms[:max_terms]
