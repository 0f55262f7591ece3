"""What every importer shares: the parsed-record type, file errors, notes and value helpers."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from studienav.core import countries
from studienav.core.errors import DomainError
from studienav.registry.records import ImportNote
from studienav.registry.schema import StudyRecord

if TYPE_CHECKING:
    from studienav.registry.records import Prepared

# Of a value an import could not understand, the note keeps this much as it was given.
NOTE_VALUE_LENGTH = 200


class ImportFileError(DomainError):
    """The file as a whole cannot be read (missing, not JSON, not the format asked for)."""

    default_code = "import_file_unreadable"


@dataclass
class ParsedRecord:
    """One record of a file: the record and what of it could not be understood (its notes),
    or why it cannot be one at all (field, message)."""

    number: int
    record: StudyRecord | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    prepared: Prepared | None = None  # records.record_prepare, when the reader computed it
    notes: list[ImportNote] = field(default_factory=list)
    # What the source called it, for a preview of a record that is rejected.
    title: str = ""
    identifiers: list[str] = field(default_factory=list)


def as_given(value: Any) -> str:
    """A value as the source gave it, on one line and clipped, for a note."""
    if isinstance(value, str):
        shown = value
    elif value is None:
        shown = ""
    else:
        try:
            shown = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            shown = repr(value)
    # One line, and no NUL: PostgreSQL keeps none in text or JSON.
    return clip(" ".join(shown.replace("\x00", "").split()), NOTE_VALUE_LENGTH)


class Notes:
    """What a mapping could not understand of one record: each part kept as a note (field,
    the value as given, the message), the record itself going on without it."""

    def __init__(self) -> None:
        self.items: list[ImportNote] = []

    def add(self, field: str, value: Any, message: str) -> None:
        self.items.append(ImportNote(field=field, value=as_given(value), message=message))

    def parsed(self, field: str, parse: Callable[[Any], Any], value: Any) -> Any:
        """`parse(value)`, or None and a note when it cannot be read."""
        try:
            return parse(value)
        except ValueError as error:
            self.add(field, value, str(error))
            return None

    def choice(self, field: str, table: dict[str, str], key: str, value: Any, default: str) -> str:
        """`table[key]`, or the default and a note when the value is given but unknown."""
        found = table.get(key)
        if found is not None:
            return found
        if key:
            self.add(
                field,
                value,
                _("%(value)s is not a known value; kept as %(default)s until checked")
                % {"value": repr(line(value)[:40]), "default": default},
            )
        return default


def numbered(items: Iterator[Any], start: int = 1) -> Iterator[tuple[int, Any]]:
    return enumerate(items, start=start)


# --- values ----------------------------------------------------------------------------


# A list item's marker at the start of a line: `-`, `*`, `+`, `•` and kin, then a space.
_BULLET = re.compile(r"^[-*+\u2022\u2023\u2043\u25aa\u25e6\u00b7](?:\s+|$)")
_BULLET_MARKS = frozenset("-*+\u2022\u2023\u2043\u25aa\u25e6\u00b7")


def _unbulleted(line: str) -> str:
    """A stripped line without its bullet marker (the regex only when it can match)."""
    return _BULLET.sub("", line) if line[:1] in _BULLET_MARKS else line


def text(value: Any) -> str:
    """A long text field in the one form every importer gives it.

    ClinicalTrials.gov delivers the same text differently by format: the legacy XML
    hard-wrapped and indented with `-` bullets (see `unwrap`), API v2 with `*` bullets, the
    classic JSON with no bullet markers at all, one item a line. So that the same study gives
    the same record from any format, every line (a paragraph or a list item) becomes one
    paragraph with its whitespace collapsed, its bullet marker dropped (numbers like `1.`
    stay), and paragraphs are separated by exactly one blank line.
    Numbers become text, None ''.
    """
    if type(value) is str:  # nearly always (an import calls this a hundred times a record)
        raw = value
    elif value is None or isinstance(value, (dict, list)):
        return ""
    elif isinstance(value, bool):
        return "true" if value else "false"
    else:
        raw = str(value)
    if "\n" not in raw and "\r" not in raw:
        stripped = raw.strip()
        if stripped[:1] in _BULLET_MARKS:
            stripped = _BULLET.sub("", stripped)
        return " ".join(stripped.split())
    paragraphs = []
    for part in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        paragraph = " ".join(_unbulleted(part.strip()).split())
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def unwrap(raw: str) -> str:
    """Hard-wrapped, indented text (legacy XML) as one line per paragraph or list item.

    A paragraph ends at a blank line or a line ending in `:` (a heading); a line starting
    with a bullet marker or a number (`1.`) starts a new item; any other line continues the
    one before it.
    """
    items: list[str] = []
    current: list[str] = []
    for part in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = part.strip()
        if current and (not stripped or _BULLET.match(stripped) or _NUMBERED.match(stripped)):
            items.append(" ".join(current))
            current = []
        if stripped:
            current.append(stripped)
            if stripped.endswith(":"):
                items.append(" ".join(current))
                current = []
    if current:
        items.append(" ".join(current))
    return "\n".join(items)


_NUMBERED = re.compile(r"^\(?\d{1,3}[.)]\s")


def line(value: Any) -> str:
    """A one-line string (titles, names): whitespace collapsed."""
    collapsed = text(value)
    return " ".join(collapsed.split()) if "\n" in collapsed else collapsed


def clip(value: str, length: int) -> str:
    return value if len(value) <= length else value[: length - 1].rstrip() + "…"


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


_NOT_KEY = re.compile(r"[^A-Z0-9]+")


def enum_key(value: Any) -> str:
    """`Active, not recruiting` -> `ACTIVE_NOT_RECRUITING` (v2, classic and XML spellings)."""
    return _NOT_KEY.sub("_", text(value).upper()).strip("_")


_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}


def parse_date(value: Any) -> dt.date | None:
    """`2018-03-08`, `2015-09`, `March 4, 2021`, `March 2021`; a month means its first day."""
    raw = line(value)
    if not raw:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", raw)
    if match:
        year, month, day = match.group(1), match.group(2), match.group(3) or "1"
        return _date(int(year), int(month), int(day), raw)
    match = re.fullmatch(r"([A-Za-z]+)\s+(?:(\d{1,2}),\s*)?(\d{4})", raw)
    if match and match.group(1).lower() in _MONTHS:
        return _date(
            int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2) or 1), raw
        )
    raise ValueError(_("%(value)s is not a date (YYYY-MM-DD)") % {"value": repr(raw)})


def _date(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(_("%(value)s is not a date (YYYY-MM-DD)") % {"value": repr(raw)}) from None


_AGE_UNITS = {
    "year": 1.0,
    "years": 1.0,
    "month": 1 / 12,
    "months": 1 / 12,
    "week": 1 / 52,
    "weeks": 1 / 52,
    "day": 1 / 365,
    "days": 1 / 365,
    "hour": 0.0,
    "hours": 0.0,
    "minute": 0.0,
    "minutes": 0.0,
}


def parse_age(value: Any) -> int | None:
    """`18 Years` -> 18, `6 Months` -> 0, `N/A` or empty -> None; whole years, rounded down."""
    raw = line(value).lower()
    if not raw or raw in ("n/a", "na", "none"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]+)?", raw)
    if not match:
        raise ValueError(_("%(value)s is not an age (for example 18 Years)") % {"value": repr(raw)})
    unit = match.group(2) or "years"
    if unit not in _AGE_UNITS:
        raise ValueError(_("%(value)s is not an age (for example 18 Years)") % {"value": repr(raw)})
    return int(float(match.group(1)) * _AGE_UNITS[unit])


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    key = enum_key(value)
    return key in ("YES", "TRUE", "JA", "1", "ACCEPTS_HEALTHY_VOLUNTEERS", "X")


def parse_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_("%(value)s is not a number") % {"value": repr(value)})
    if isinstance(value, (int, float)):
        return int(value)
    raw = line(value).replace(" ", "").replace("\u00a0", "")
    if not raw:
        return None
    if not re.fullmatch(r"-?\d+(\.0+)?", raw):
        raise ValueError(_("%(value)s is not a whole number") % {"value": repr(raw)})
    return int(float(raw))


_CRITERIA = re.compile(
    r"^[ \t]*[-*\u2022]?[ \t]*(?:key[ \t]+)?(?P<kind>inclusion|exclusion)"
    r"[ \t]+criteria[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


def split_criteria(value: Any) -> tuple[str, str]:
    """Eligibility text split at its `Inclusion Criteria:` / `Exclusion Criteria:` headings.

    Text without the headings is all inclusion criteria.
    """
    raw = text(value)
    matches = list(_CRITERIA.finditer(raw))
    if not matches:
        return raw, ""
    parts: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    lead = raw[: matches[0].start()].strip()
    if lead:
        parts["inclusion"].append(lead)
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(raw)
        body = raw[match.end() : end].strip()
        if body:
            parts[match.group("kind").lower()].append(body)
    return "\n\n".join(parts["inclusion"]), "\n\n".join(parts["exclusion"])


def site_country(value: Any) -> tuple[str, str]:
    """A location's ISO country code, and its text as given when that could not be read.

    A blank or unreadable country is `UNKNOWN` (never Sweden): the site is kept and its
    organisation flagged for a coordinator with the text.
    """
    raw = clip(line(value), 100)
    code = countries.country_code(raw)
    if code is None:
        return countries.UNKNOWN, raw
    return code, ""


def first_line(error: Exception) -> str:
    """An exception's message on one line (yajl's messages show the input below)."""
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__
