"""Study identifiers: recognise, validate and normalise NCT, EU CT, EudraCT, ethics, ISRCTN.

Formats:
- NCT: `NCT` + 8 digits (ClinicalTrials.gov).
- EU CT number: `YYYY-5NNNNN-NN-NN` (CTIS, e.g. 2023-501234-12-00).
- EudraCT: `YYYY-NNNNNN-NN` (e.g. 2004-001234-12).
- Swedish Ethical Review Authority case number: `YYYY-NNNNN-NN` (since 2019, e.g.
  2023-01234-01), also the older forms `Dnr 2019-01234` and regional boards' `2012/123-31`.
- ISRCTN: `ISRCTN` + 8 digits.
Years run from 2004 (EudraCT's first) to the current year.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed
from studienav.registry.models import IdentifierScheme

FIRST_YEAR = 2004

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
        if len(normalised) > 80:
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
