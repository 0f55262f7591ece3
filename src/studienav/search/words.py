"""PostgreSQL's word index: the distinct folded words of the index (`SearchWord`), each entry's
words as codes (`SearchEntry.words`, in a GIN index), and a search's LIKE patterns answered
from them without reading the documents.

A folded text is words of letters and digits between single spaces, padded with a space at
either end (`search.index`). So a pattern without a space inside (`%cancer%`, `% astm%`,
`% kol %`) matches a text exactly when it matches one of the text's words (as a substring,
from the word's start, or whole): the vocabulary's trigram index finds those words, and the
entries holding any of them are one GIN scan away, with no document to check. A pattern
with a space inside (`%heart failure%`) needs consecutive words: the entries holding a word
for each of its parts are the candidates, and only their texts are checked. A `_` matches a
space too, so a typo pattern is both a pattern of one word and one of two words. Anything
else (a pattern not of the form `%...%`, or with more than three `_`) goes to the trigram
index of the texts as before. The results are those of the same LIKE patterns on SQLite.

An entry's codes: each word of its document as `2 * id` and of its places as `2 * id + 1`,
and its tags (`search.index.words_tags`: its status and its sites' regions) as negative
numbers, so that the same GIN scan keeps only the entries with the asked status and region.
A word is added to the vocabulary the first time an entry has it and stays (a word no entry
has any more finds nothing); two writers adding the same word at once give it two ids, which
a search finds both of. SQLite keeps none of this: its FTS5 tables answer the patterns
(`search.services`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import Lookup, Q

from studienav.core.bulk import ids_subquery
from studienav.search.models import SearchEntry

# The GIN index's expression (migration 0011): the codes, written as text on both databases.
CODES = "string_to_array({}, ' ')::bigint[]"
_DOCUMENT, _PLACES = 0, 1
# More `_` than this in one pattern (each a letter or a space) goes to the texts' index.
_MAX_WILDCARDS = 3
# Entries found by id (phrases) given as a list up to this many (PostgreSQL's limit on a
# statement's parameters is 65,535), as a subquery beyond.
_MAX_LISTED = 20_000


def tag_code(tag: str) -> int:
    """A tag (`#rc`, `#03`: `#` and two characters) as a negative code."""
    return -(ord(tag[1]) * 256 + ord(tag[2]))


def _words(text: str) -> set[str]:
    return set(text.split())


def _word_ids(words: set[str]) -> dict[str, int]:
    """The vocabulary's id of each word, adding those it does not hold yet."""
    if not words:
        return {}
    wanted = sorted(words)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.word, w.id FROM unnest(%s::text[]) AS q(word) "
            "JOIN search_searchword w ON w.word = q.word",
            [wanted],
        )
        ids: dict[str, int] = dict(cursor.fetchall())
        missing = [word for word in wanted if word not in ids]
        if missing:
            cursor.execute(
                "INSERT INTO search_searchword (word) SELECT unnest(%s::text[]) RETURNING word, id",
                [missing],
            )
            ids.update(cursor.fetchall())
    return ids


def words_coded(texts: Sequence[tuple[str, str, str]]) -> list[str]:
    """PostgreSQL: the `words` of each entry from its (document, places, tags): its codes,
    space-separated, adding to the vocabulary the words it did not hold."""
    found = [(_words(document), _words(places)) for document, places, _tags in texts]
    ids = _word_ids({word for pair in found for part in pair for word in part})
    out = []
    for (document, places), (_d, _p, tags) in zip(found, texts, strict=True):
        codes = [2 * ids[word] + _DOCUMENT for word in document]
        codes += [2 * ids[word] + _PLACES for word in places]
        codes += [tag_code(tag) for tag in tags.split() if len(tag) == 3]
        out.append(" ".join(str(code) for code in sorted(codes)))
    return out


# ---------------------------------------------------------------- patterns


@dataclass(frozen=True)
class _Part:
    """What one word of a text must be for a pattern: equal to `word`, or (when None) match
    the regular expression `regex`."""

    regex: str
    word: str | None


def _part(token: str, *, at_start: bool, at_end: bool) -> _Part:
    """A pattern's token (letters, `\\0` for a letter `_`) as a condition on one word."""
    body = "".join("." if char == "\0" else re.escape(char) for char in token)
    regex = ("^" if at_start else "") + body + ("$" if at_end else "")
    whole = at_start and at_end and "\0" not in token
    return _Part(regex, token if whole else None)


def _alternatives(pattern: str) -> list[tuple[_Part, ...]] | None:
    """The ways a LIKE pattern can match a folded text, each as the parts of consecutive words
    (one part: a pattern of one word); [] when it matches no folded text, None when it is not
    of a form answered here."""
    if len(pattern) < 3 or pattern[0] != "%" or pattern[-1] != "%":
        return None
    body = pattern[1:-1]
    if "%" in body or body.count("_") > _MAX_WILDCARDS:
        return None
    pieces = body.split("_")
    out: list[tuple[_Part, ...]] = []
    # Each `_` is a letter or a space.
    for fills in itertools.product("\0 ", repeat=len(pieces) - 1):
        filled = pieces[0]
        for fill, piece in zip(fills, pieces[1:], strict=True):
            filled += fill + piece
        tokens = filled.split(" ")
        at_start = tokens[0] == "" and len(tokens) > 1
        at_end = tokens[-1] == "" and len(tokens) > 1
        tokens = tokens[1 if at_start else 0 : len(tokens) - 1 if at_end else len(tokens)]
        if not tokens:
            return None  # only spaces: not a word pattern
        if "" in tokens:
            continue  # two spaces in a row: no folded text has them
        last = len(tokens) - 1
        out.append(
            tuple(
                _part(token, at_start=i > 0 or at_start, at_end=i < last or at_end)
                for i, token in enumerate(tokens)
            )
        )
    return out


def like_regex(pattern: str) -> str:
    """A LIKE pattern as the regular expression matching the same texts."""
    body = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern
    )
    start = "" if pattern.startswith("%") else "^"
    end = "" if pattern.endswith("%") else "$"
    return start + body.removeprefix(".*").removesuffix(".*") + end


def _vocabulary(parts: Iterable[_Part]) -> dict[_Part, list[int]]:
    """The ids of the words each part finds: equal words by the hash index, the others by
    the trigram index, one scan each, in one query."""
    unique = list(dict.fromkeys(parts))
    if not unique:
        return {}
    equal = [part for part in unique if part.word is not None]
    matched = [part for part in unique if part.word is None]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.i, w.id FROM unnest(%s::text[]) WITH ORDINALITY AS q(word, i) "
            "JOIN search_searchword w ON w.word = q.word "
            "UNION ALL "
            "SELECT q.i + %s, w.id FROM unnest(%s::text[]) WITH ORDINALITY AS q(regex, i) "
            "CROSS JOIN LATERAL "
            "(SELECT id FROM search_searchword WHERE word ~ q.regex) AS w",
            [[p.word for p in equal], len(equal), [p.regex for p in matched]],
        )
        rows = cursor.fetchall()
    ordered = equal + matched
    found: dict[_Part, list[int]] = {part: [] for part in unique}
    for position, word_id in rows:
        found[ordered[position - 1]].append(word_id)
    return found


class _CodesOverlap(Lookup):
    """The entry's word codes hold one of the given codes: `words__codes_overlap=[...]`, the
    expression the GIN index holds (migration 0011)."""

    lookup_name = "codes_overlap"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"string_to_array({lhs}, ' ')::bigint[] && %s::bigint[]", [*lhs_params, self.rhs]


_words_field = SearchEntry._meta.get_field("words")
assert isinstance(_words_field, models.Field)
_words_field.register_lookup(_CodesOverlap)


def _checked(selects: list[tuple[str, list[Any]]], tags: Sequence[Sequence[int]]) -> list[int]:
    """The ids of the entries with the tags that any of the selects (a condition on the
    entry `e` and its text `t`) finds."""
    narrowed = "".join(f" AND {CODES.format('e.words')} && %s::bigint[]" for _group in tags)
    sql = " UNION ".join(
        "SELECT e.study_id FROM search_searchentry e "  # noqa: S608 (fixed SQL)
        f"JOIN search_searchtext t ON t.entry_id = e.study_id WHERE {where}{narrowed}"
        for where, _params in selects
    )
    params = [value for _where, values in selects for value in [*values, *map(list, tags)]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


@dataclass(frozen=True)
class _Plan:
    """How a search's patterns are answered: single-word parts by the GIN index, phrases by
    the entries holding a word for each part and their texts, the rest by the texts' trigram
    index."""

    codes: list[int]
    # (a condition on the entry `e` and its text `t`, its values) per phrase or other pattern
    selects: list[tuple[str, list[Any]]]


def _plan(sources: Sequence[tuple[str, tuple[str, ...]]]) -> _Plan:
    kinds = {"document": _DOCUMENT, "places": _PLACES}
    words: list[tuple[_Part, int]] = []  # one word matching the part is enough
    phrases: list[tuple[tuple[_Part, ...], int, str, str]] = []  # (parts, kind, column, pattern)
    others: list[tuple[str, str]] = []  # (column, pattern) for the texts' trigram index
    for column, patterns in sources:
        for pattern in dict.fromkeys(patterns):
            alternatives = _alternatives(pattern)
            if alternatives is None:
                others.append((column, pattern))
                continue
            for parts in alternatives:
                if len(parts) == 1:
                    words.append((parts[0], kinds[column]))
                else:
                    phrases.append((parts, kinds[column], column, pattern))
    found = _vocabulary(
        [part for part, _kind in words] + [part for parts, *_rest in phrases for part in parts]
    )
    codes = sorted({2 * word_id + kind for part, kind in words for word_id in found[part]})
    selects: list[tuple[str, list[Any]]] = []
    for parts, kind, column, pattern in phrases:
        each = [sorted({2 * word_id + kind for word_id in found[part]}) for part in parts]
        if not all(each):
            continue  # a part no word has: no text holds the phrase
        # The entries with a word for every part; their texts decide (not via the texts'
        # trigram index: `|| ''` keeps the planner from asking it).
        where = " AND ".join([f"{CODES.format('e.words')} && %s::bigint[]"] * len(each))
        selects.append((f"{where} AND (t.{column} || '') ~ %s", [*each, like_regex(pattern)]))
    for column, pattern in others:
        selects.append((f"t.{column} ~ %s", [like_regex(pattern)]))
    return _Plan(codes, selects)


def words_matching(
    sources: Sequence[tuple[str, tuple[str, ...]]], tags: Sequence[Sequence[int]] = ()
) -> Q:
    """PostgreSQL: the entries whose text in a column matches any of its patterns: `sources`
    is ("document", patterns) and ("places", patterns); `tags` groups of tag codes
    (`tag_code`) of which the entry must hold one of each group. The words' entries are one
    scan of the GIN index; the entries with a phrase or a pattern answered by the texts'
    trigram index are found first, by id."""
    plan = _plan(sources)
    tagged = Q()
    for group in tags:
        tagged &= Q(words__codes_overlap=list(group))
    matched = Q(pk__in=[])
    if plan.codes:
        matched = Q(words__codes_overlap=plan.codes) & tagged
    if plan.selects and (ids := _checked(plan.selects, tags)):
        # A list, which PostgreSQL reads as `= ANY(...)`: one more arm of the same bitmap.
        matched |= Q(pk__in=ids) if len(ids) <= _MAX_LISTED else Q(pk__in=ids_subquery(ids))
    return matched


def words_found(sources: Sequence[tuple[str, tuple[str, ...]]]) -> bool:
    """PostgreSQL: whether any entry's text in a column matches any of its patterns (as
    `words_matching`), asking one way after the other until one finds an entry."""
    plan = _plan(sources)
    if plan.codes and SearchEntry.objects.filter(words__codes_overlap=plan.codes).exists():
        return True
    with connection.cursor() as cursor:
        for where, values in plan.selects:
            cursor.execute(
                "SELECT 1 FROM search_searchentry e "  # noqa: S608 (fixed SQL)
                f"JOIN search_searchtext t ON t.entry_id = e.study_id WHERE {where} LIMIT 1",
                values,
            )
            if cursor.fetchone() is not None:
                return True
    return False
