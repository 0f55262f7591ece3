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
- One typo in words of five to thirty letters, only when nothing matches the word and its
  synonyms as written: the word with one letter after the first replaced, removed or added
  (`diabetis` -> `diabet_s`), anchored at the start of a word; a word of five or six letters
  only with one replaced, as a whole word (`astna` -> `ast_a`, not `astra` in `astrazeneca`).
- Bounds, since anyone may search: a query reads at most `MAX_WORDS` words and `MAX_TERMS`
  terms, and builds at most `MAX_PATTERNS` typo patterns (the first words get them), so a
  long word or a long list of words costs about what a short query does.
- Synonyms: a phrase naming a condition of the vocabulary (`studienav.search.conditions`:
  Swedish or English name or synonym, or its ICD-10 code) matches any name of that condition,
  a Swedish one anywhere, an English one from the start of a word (a short one as a whole
  word: `pain` is not in `Spain`); a name's last word by its stem only when the stem keeps six
  letters (`smärta` is not `smart`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from studienav.registry.icd10 import icd10_name, icd10_normalise
from studienav.search.conditions import conditions

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
# A vocabulary name's word is matched by its stem only when the stem keeps this many letters.
NAME_STEM_MIN = 6
# A shorter English name is matched as a whole word, a longer one from the start of a word.
ENGLISH_PREFIX_FROM = 5
WHOLE_WORD_BELOW = 4
# A word gets typo patterns (about three a letter) only within these lengths: a longer one
# is no word a person misspells, and its patterns cost the database more than the rest.
TYPO_MIN_LENGTH = 5
TYPO_MAX_LENGTH = 30
# Words shorter than this get only one letter replaced, and are matched as whole words.
TYPO_WHOLE_BELOW = 7
# From this length a word's typo patterns come with a guard (`typo_guard`).
TYPO_GUARD_FROM = 10
# What one query text may hold (more words are refused where a search is parsed), the terms it
# becomes and the patterns they may have in all (a term always keeps its exact patterns).
MAX_WORDS = 32
MAX_TERMS = 8
MAX_PATTERNS = 200

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
    """LIKE patterns for the word with one letter after the first replaced, removed or inserted;
    a word of fewer than `TYPO_WHOLE_BELOW` letters only with one replaced, as a whole word.

    The first letter stays, as people seldom mistype it and a changed one finds other words
    (`angest` -> `ingest`); a short word with a letter removed is another short word, found at
    the start of many (`angest` -> `anest` in `anesthesia`)."""
    if not TYPO_MIN_LENGTH <= len(word) <= TYPO_MAX_LENGTH or not word.isalpha():
        return []
    replaced = [word[:i] + "_" + word[i + 1 :] for i in range(1, len(word))]
    if len(word) < TYPO_WHOLE_BELOW:
        return [f"% {variant} %" for variant in dict.fromkeys(replaced)]
    removed = [word[:i] + word[i + 1 :] for i in range(1, len(word))]
    inserted = [word[:i] + "_" + word[i:] for i in range(1, len(word))]
    unique = dict.fromkeys([*replaced, *removed, *inserted])
    return [f"% {variant}%" for variant in unique]


def typo_guard(word: str) -> tuple[str, ...]:
    """Two LIKE patterns of which every text matching a typo pattern of the word matches one:
    the word's first half from a word's start, or its second half after the middle letter (one
    typo leaves one of them whole). PostgreSQL's trigram index finds such halves at once, where
    the alternation of all the typo patterns of a long word makes it read thousands of
    documents. Empty for shorter words, whose halves would find too much."""
    if len(word) < TYPO_GUARD_FROM or not typo_patterns(word):
        return ()
    half = len(word) // 2
    return (f"% {word[:half]}%", f"%{word[half + 1 :]}%")


@dataclass(frozen=True)
class SynonymGroup:
    icd10: str
    names: tuple[str, ...]  # folded
    # Those of the names that are English only: found from the start of a word (`_name_like`).
    english: frozenset[str] = frozenset()


@cache
def synonym_groups() -> tuple[SynonymGroup, ...]:
    """The vocabulary's conditions with their names and synonyms in both languages, folded."""
    groups: list[SynonymGroup] = []
    for condition in conditions():
        swedish = [f for name in condition.names_sv if (f := fold(name))]
        english = [f for name in condition.names_en if (f := fold(name))]
        names = tuple(dict.fromkeys([*swedish, *english]))
        if names:
            only_english = frozenset(english) - frozenset(swedish)
            groups.append(SynonymGroup(condition.icd10, names, only_english))
    return tuple(groups)


@cache
def _synonym_lookup() -> dict[str, tuple[SynonymGroup, ...]]:
    """Folded name, its stemmed form, and folded ICD-10 code -> the groups it names."""
    lookup: dict[str, list[SynonymGroup]] = {}
    for group in synonym_groups():
        keys = set(group.names) | {_stem_phrase(name) for name in group.names}
        if group.icd10:
            keys.add(group.icd10.lower().replace(".", ""))
        for key in keys:
            lookup.setdefault(key, []).append(group)
    return {key: tuple(groups) for key, groups in lookup.items()}


def _stem_phrase(phrase: str) -> str:
    return " ".join(stem(word) for word in phrase.split())


def _name_phrase(phrase: str) -> str:
    """A vocabulary name as it is matched: its last word stemmed when the stem keeps at least
    `NAME_STEM_MIN` letters, the words before it as written (they must be found whole, as the
    text goes on after them: `diabetes mellitus`, not `diabet mellitus`). A short stem is a
    short substring, found inside other words (`smärta` -> `smart` in `SMART`, `hosta` ->
    `host` in `graft-versus-host`, `burns` -> `burn` in `burnout`); the vocabulary lists the
    forms that matter instead."""
    *before, last = phrase.split() or [""]
    stemmed = stem(last)
    return " ".join([*before, stemmed if len(stemmed) >= NAME_STEM_MIN else last])


@dataclass(frozen=True)
class Term:
    """One thing the query asks for: any exact pattern, or failing that any typo pattern."""

    text: str
    exact: tuple[str, ...]
    typos: tuple[str, ...] = ()
    # Patterns of which a text matching any typo pattern matches one (`typo_guard`).
    typo_guard: tuple[str, ...] = ()

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.exact + self.typos


def _like(fragment: str) -> str:
    """Anywhere in the text, or as a whole word when shorter than four letters (`kol`, `ra`:
    inside words such as `alkohol` or `prostata` they would match almost every study)."""
    if len(fragment) < WHOLE_WORD_BELOW:
        return f"% {fragment} %"
    return f"%{fragment}%"


def _name_like(name: str, *, english: bool) -> str:
    """The pattern of a vocabulary name: a Swedish one anywhere (Swedish writes compounds as one
    word: `ryggsmärta`), an English one from the start of a word, and as a whole word when
    shorter than `ENGLISH_PREFIX_FROM` letters (`pain` not in `Spain` or `painting`)."""
    phrase = _name_phrase(name)
    if not english or len(phrase) < WHOLE_WORD_BELOW:
        return _like(phrase)
    if len(phrase) < ENGLISH_PREFIX_FROM:
        return f"% {phrase} %"
    return f"% {phrase}%"


def _group_patterns(groups: tuple[SynonymGroup, ...]) -> list[str]:
    out: list[str] = []
    for group in groups:
        out.extend(_name_like(name, english=name in group.english) for name in group.names)
        if group.icd10:
            out.append(_like(icd10_token(group.icd10)))
    return out


def _needed(patterns: list[str]) -> tuple[str, ...]:
    """The patterns without those that find only what another of them finds: `%astma bronkial%`
    beside `%astma%` (each text index phrase costs as much to look up as it has trigrams)."""
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


def query_terms(
    query: str, *, max_terms: int = MAX_TERMS, max_patterns: int = MAX_PATTERNS
) -> list[Term]:
    """The terms of a free-text query; every term must match (AND), any pattern of it (OR).

    Only the first `MAX_WORDS` words are read and the first `max_terms` terms kept; typo
    patterns go to the first terms for as long as the patterns stay within `max_patterns`."""
    terms: list[Term] = []
    words: list[str] = []
    for raw in query.split()[:MAX_WORDS]:
        code_term = _code_term(raw.strip(".,;:").casefold())
        if code_term is not None:
            terms.append(code_term)
        else:
            words.extend(fold(raw).split())
    del words[MAX_WORDS:]
    lookup = _synonym_lookup()
    position = 0
    while position < len(words) and len(terms) < max_terms:
        # The longest run of words (up to four) that names a condition becomes one term.
        for size in range(min(4, len(words) - position), 0, -1):
            phrase = " ".join(words[position : position + size])
            groups = lookup.get(phrase) or lookup.get(_stem_phrase(phrase))
            if groups:
                exact = [_like(_name_phrase(phrase)), *_group_patterns(groups)]
                typos = typo_patterns(phrase) if size == 1 else []
                guard = typo_guard(phrase) if size == 1 else ()
                terms.append(Term(phrase, _needed(exact), tuple(typos), guard))
                position += size
                break
        else:
            word = words[position]
            position += 1
            if word in STOPWORDS or len(word) < 2:
                continue
            typos = typo_patterns(word)
            terms.append(Term(word, (_like(stem(word)),), tuple(typos), typo_guard(word)))
    return _within(terms[:max_terms], max_patterns)


def _within(terms: list[Term], max_patterns: int) -> list[Term]:
    """The terms with the typo patterns of those that no longer fit in `max_patterns` left
    out: a term has all of its typo patterns or none."""
    room = max_patterns - sum(len(term.exact) for term in terms)
    kept: list[Term] = []
    for term in terms:
        cost = len(term.typos) + len(term.typo_guard)
        if cost <= room:
            room -= cost
            kept.append(term)
        else:
            kept.append(Term(term.text, term.exact))
    return kept


def patterns_counted(terms: list[Term]) -> int:
    """How many patterns the terms have in all: what a search spends of `MAX_PATTERNS`."""
    return sum(len(term.patterns) + len(term.typo_guard) for term in terms)
