"""Study identifiers: recognise, validate and normalise NCT, EU CT, EudraCT, ethics, ISRCTN.

Formats:
- NCT: `NCT` + 8 digits (ClinicalTrials.gov).
- EU CT number: `YYYY-5NNNNN-NN-NN` (CTIS, e.g. 2023-501234-12-00).
- EudraCT: `YYYY-NNNNNN-NN` (e.g. 2004-001234-12).
- Swedish Ethical Review Authority case number: `YYYY-NNNNN-NN` (since 2019, e.g.
  2023-01234-01), also the older forms `Dnr 2019-01234` and regional boards' `2012/123-31`.
- ISRCTN: `ISRCTN` + 8 digits.
- Local numbers (`FoU-2021-17`, one region's own) and other registries' numbers: kept as
  written.
Years run from 2004 (EudraCT's first) to the current year.

People write identifiers in queries in many ways (`nct 02552212`, `EudraCT 2015-001234-56`,
`Dnr 2019-01234`, `2019-01234`): `identifier_lookups` reads one as the registry keeps it, and
`identifiers_named` finds the words of a query that may be one.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed
from studienav.registry.models import IdentifierScheme

FIRST_YEAR = 2004
MAX_LENGTH = 80  # of any identifier, as the registry keeps it

_PATTERNS: dict[str, re.Pattern[str]] = {
    IdentifierScheme.NCT: re.compile(r"^NCT(\d{8})$", re.ASCII),
    IdentifierScheme.EU_CT: re.compile(r"^(\d{4})-5\d{5}-\d{2}-\d{2}$", re.ASCII),
    IdentifierScheme.EUDRACT: re.compile(r"^(\d{4})-\d{6}-\d{2}$", re.ASCII),
    IdentifierScheme.ETHICS: re.compile(
        r"^(?:(\d{4})-\d{5}-\d{2}|DNR (\d{4})-\d{5}|(\d{4})/\d{1,5}-\d{1,2})$", re.ASCII
    ),
    IdentifierScheme.ISRCTN: re.compile(r"^ISRCTN(\d{8})$", re.ASCII),
}

_EXAMPLES = {
    IdentifierScheme.NCT: "NCT01234567",
    IdentifierScheme.EU_CT: "2023-501234-12-00",
    IdentifierScheme.EUDRACT: "2004-001234-12",
    IdentifierScheme.ETHICS: "2023-01234-01",
    IdentifierScheme.ISRCTN: "ISRCTN12345678",
}


def normalise(scheme: str, value: str) -> str:
    """Canonical spelling: upper case, single spaces, no stray punctuation around it."""
    text = " ".join(value.strip().split())
    if scheme in (IdentifierScheme.NCT, IdentifierScheme.ISRCTN):
        return text.upper().replace(" ", "")
    if scheme == IdentifierScheme.ETHICS:
        text = text.upper()
        text = re.sub(r"^DNR\.?:?\s*", "DNR ", text)
        if text.startswith("DNR ") and re.fullmatch(r"DNR \d{4}-\d{5}-\d{2}", text):
            text = text[4:]  # the new form needs no prefix
        return text
    if scheme in (IdentifierScheme.EU_CT, IdentifierScheme.EUDRACT):
        return text.replace(" ", "")
    return text


def validate(scheme: str, value: str) -> str:
    """Return the normalised identifier or raise ValidationFailed saying what is expected."""
    normalised = normalise(scheme, value)
    if not normalised:
        raise ValidationFailed(
            code="identifier_empty", field="identifier", message=_("The identifier is empty.")
        )
    pattern = _PATTERNS.get(scheme)
    if pattern is None:
        if len(normalised) > MAX_LENGTH:
            raise ValidationFailed(
                code="identifier_too_long",
                field="identifier",
                message=_("An identifier has at most 80 characters."),
            )
        return normalised
    match = pattern.match(normalised)
    if match is None:
        raise ValidationFailed(
            code=f"{scheme}_format",
            field="identifier",
            message=_("%(scheme)s must look like %(example)s, got %(value)s")
            % {
                "scheme": IdentifierScheme(scheme).label,
                "example": _EXAMPLES[IdentifierScheme(scheme)],
                "value": value.strip()[:40],
            },
        )
    year_text = next((g for g in match.groups() if g and len(g) == 4), None)
    if year_text is not None and scheme != IdentifierScheme.NCT:
        year = int(year_text)
        first = 1990 if scheme == IdentifierScheme.ETHICS else FIRST_YEAR
        if not first <= year <= timezone.now().year:
            raise ValidationFailed(
                code=f"{scheme}_year",
                field="identifier",
                message=_("The year %(year)s in %(value)s is not between %(first)s and %(last)s.")
                % {"year": year, "value": normalised, "first": first, "last": timezone.now().year},
            )
    return normalised


def recognise(value: str) -> tuple[str, str] | None:
    """Guess the scheme of a bare identifier (`NCT02552212`, `2023-501234-12-00`); or None."""
    for scheme in (
        IdentifierScheme.NCT,
        IdentifierScheme.ISRCTN,
        IdentifierScheme.EU_CT,
        IdentifierScheme.EUDRACT,
        IdentifierScheme.ETHICS,
    ):
        normalised = normalise(scheme, value)
        if _PATTERNS[scheme].match(normalised):
            try:
                return scheme, validate(scheme, value)
            except ValidationFailed:
                return None
    return None


# A label written before a number: `EudraCT 2015-001234-56`, `EU CT nr: ...`, `Dnr. 2019-01234`.
_LABEL = re.compile(
    r"^(eudract|eu\s?-?\s?ct|ctis|nct|isrctn|dnr|diarienummer|diarienr)\.?"
    r"(?:\s*(?:no|nr|number|nummer)\b\.?)?\s*[:#]?\s*",
    re.IGNORECASE,
)
# Labels that are part of the number (`NCT` + 8 digits).
_JOINED_LABELS = ("nct", "isrctn")
_ETHICS_LABELS = ("dnr", "diarienummer", "diarienr")
# The Ethical Review Authority's case number written without its `Dnr`.
_BARE_OLD_ETHICS = re.compile(r"^\d{4}-\d{5}$", re.ASCII)
_AROUND = "()[]{}<>\"'.,;:"
_KEPT_AS_WRITTEN = (IdentifierScheme.LOCAL, IdentifierScheme.OTHER)
# A number kept as written is looked for in every casing of its letters up to this many
# letters (32 spellings), beyond it as written, in upper and in lower case.
_MAX_CASED_LETTERS = 5
# A query's words read as one labelled identifier at most (`EU CT 2023-501234-12-00`).
_MAX_IDENTIFIER_WORDS = 3
_MAX_NAMED = 8


@dataclass(frozen=True)
class IdentifierLookup:
    """How to find the study holding an identifier: its scheme and its value as the registry
    keeps it (normalised; local and other numbers as written)."""

    scheme: str
    value: str

    def spellings(self) -> tuple[str, ...]:
        """The values a study may hold it as: the value itself, or for a number kept as
        written, each casing of its letters (`fou-17`: `FoU-17`, `FOU-17`, ...)."""
        if self.scheme not in _KEPT_AS_WRITTEN:
            return (self.value,)
        value = self.value
        cased = [char for char in value if char.lower() != char.upper()]
        if len(cased) > _MAX_CASED_LETTERS:
            return tuple(dict.fromkeys([value, value.upper(), value.lower()]))
        choices = [
            (char.lower(), char.upper()) if char.lower() != char.upper() else (char,)
            for char in value
        ]
        return tuple(dict.fromkeys([value, *map("".join, itertools.product(*choices))]))


@dataclass(frozen=True)
class NamedIdentifier:
    """Words `start` to `stop` of a query (as `str.split` gives them) that may name an
    identifier, and how to look it up."""

    start: int
    stop: int
    lookups: tuple[IdentifierLookup, ...]


def _recognised(text: str) -> IdentifierLookup | None:
    """The identifier written as `text`, of a scheme with a format, with or without its
    label; None when it is none."""
    text = " ".join(text.split()).strip(_AROUND + " ")
    if not text or len(text) > MAX_LENGTH or not any(char.isdigit() for char in text):
        return None
    candidates = [text]
    if (label := _LABEL.match(text)) is not None:
        rest = text[label.end() :]
        name = re.sub(r"\W", "", label.group(1)).lower()
        if name in _JOINED_LABELS:
            candidates.append(name + rest.replace(" ", ""))
        elif name in _ETHICS_LABELS:
            candidates += [f"Dnr {rest}", rest]
        else:
            candidates.append(rest)
    for candidate in candidates:
        if _BARE_OLD_ETHICS.match(candidate):
            candidate = f"Dnr {candidate}"
        if (found := recognise(candidate)) is not None:
            return IdentifierLookup(*found)
    return None


def identifier_lookups(text: str) -> tuple[IdentifierLookup, ...]:
    """How to find the study holding the identifier written as `text`, in any case and
    spacing and with or without its label (`nct 02552212`, `EudraCT 2015-001234-56`,
    `Dnr 2019-01234`, `2012/123-31`): the one lookup of a recognised number, otherwise those
    of a local or other number as written; none for an empty or too long text."""
    if (found := _recognised(text)) is not None:
        return (found,)
    value = " ".join(text.split())
    if not value or len(value) > MAX_LENGTH:
        return ()
    return tuple(IdentifierLookup(scheme, value) for scheme in _KEPT_AS_WRITTEN)


def _may_be_a_number(word: str) -> bool:
    """A word a local or other number could be: digits with letters or separators
    (`FoU-2021-17`, `UMIN000012345`), not a plain number (a year, an age)."""
    word = word.strip(_AROUND)
    return (
        2 < len(word) <= MAX_LENGTH and any(char.isdigit() for char in word) and not word.isdigit()
    )


def identifiers_named(query: str) -> list[NamedIdentifier]:
    """The runs of a query's words that may name an identifier, most certain first: numbers
    of a known format with their labels (`diabetes nct 02552212`: words 1 to 3), then the
    whole query as a local number (`FoU 2023 /17`), then single words that may be one.
    The runs may overlap; which of them a study holds only the registry can tell."""
    words = query.split()
    named: list[NamedIdentifier] = []
    taken: set[int] = set()
    start = 0
    while start < len(words):
        for size in range(min(_MAX_IDENTIFIER_WORDS, len(words) - start), 0, -1):
            found = _recognised(" ".join(words[start : start + size]))
            if found is not None:
                named.append(NamedIdentifier(start, start + size, (found,)))
                taken.update(range(start, start + size))
                start += size
                break
        else:
            start += 1
    whole = " ".join(words)
    if len(words) > 1 and not named and any(char.isdigit() for char in whole):
        named.append(NamedIdentifier(0, len(words), identifier_lookups(whole)))
    for position, word in enumerate(words):
        if position not in taken and _may_be_a_number(word):
            lookups = identifier_lookups(word.strip(_AROUND))
            named.append(NamedIdentifier(position, position + 1, lookups))
    return [item for item in named if item.lookups][:_MAX_NAMED]
