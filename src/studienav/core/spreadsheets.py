"""Cells for every CSV and XLSX we write: text a spreadsheet would run as a formula is kept as
text (CSV injection, OWASP), so a study title like `=HYPERLINK(...)` stays a title."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

# A spreadsheet reads a cell starting with one of these as a formula (tab and carriage return
# too, since some strip them first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Value = TypeVar("Value")


def spreadsheet_cell(value: Value) -> Value | str:
    """Text starting like a formula, with a `'` in front (shown as text, not run); anything
    else, numbers and dates included, unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_row(values: Iterable[Value]) -> list[Value | str]:
    """Every cell of a row made safe (`spreadsheet_cell`)."""
    return [spreadsheet_cell(value) for value in values]


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SpreadsheetCsvWriter:
    """`csv.writer` whose every row is made safe before it is written."""

    def __init__(self, out: Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        """What the underlying writer returns: the written line when `out.write` returns it
        (a streaming answer), else the count `write` gives."""
        return self._writer.writerow(spreadsheet_row(row))


class _Echo:
    def write(self, text: str, /) -> str:
        return text


def spreadsheet_csv_lines(**options: Any) -> SpreadsheetCsvWriter:
    """A safe CSV writer whose `writerow` returns the line instead of writing it: the rows of
    a streamed answer."""
    return SpreadsheetCsvWriter(_Echo(), **options)
