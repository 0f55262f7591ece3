"""JSON files streamed with ijson within the import limits: nesting and one record's size.

ijson keeps a path for every level it is in, so `[[[[…` thirty thousand deep takes gigabytes
before the first record is built; the nesting is therefore measured on the bytes as they are
read (`core.json_nesting`), and the bytes stop at the first bracket too deep. ijson then
meets an early end, which becomes `nested deeper than 64 levels` for the record being read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson
from django.utils.translation import gettext as _

from studienav.core.json_nesting import deepest_allowed, nesting
from studienav.registry.importers._common import ImportFileError, first_line
from studienav.registry.importers._limits import ImportLimits, RecordReader, too_deep


class JsonReader(RecordReader):
    """A `RecordReader` that also ends the bytes at the first bracket nested too deep."""

    def __init__(self, raw: IO[bytes], *, limits: ImportLimits) -> None:
        super().__init__(raw, limit=limits.record_bytes)
        self.limits = limits
        self.depth = 0
        self.open_string = b""  # the previous chunk ended inside a string (json_nesting)

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        if not chunk:
            return chunk
        data = self.open_string + chunk
        measured = nesting(data, self.depth)
        if measured.peak > self.limits.depth:
            self.exceeded = too_deep(self.limits)
            cut = deepest_allowed(data, self.depth, self.limits.depth) - len(self.open_string)
            return chunk[: max(cut, 0)]
        self.depth, self.open_string = measured.end, measured.open_string
        return chunk


def _invalid(error: Exception) -> ImportFileError:
    return ImportFileError(
        code="json_invalid",
        message=_("not valid JSON: %(error)s") % {"error": first_line(error)},
    )


def parse_events(path: Path, limits: ImportLimits) -> Iterator[tuple[str, str, Any]]:
    """ijson's `parse` events of a file (to find where its records are); a limit or broken
    JSON is a file error."""
    with path.open("rb") as raw:
        stream = JsonReader(raw, limits=limits)
        try:
            yield from ijson.parse(stream, use_float=True)
        except ijson.JSONError as error:
            raise (stream.exceeded or _invalid(error)) from None


def json_items(path: Path, prefix: str, limits: ImportLimits) -> Iterator[Any]:
    """The values at `prefix` (ijson's `items`), one record each; a record beyond a limit
    ends the reading with its number (`FILE#N: record: ...`)."""
    number = 0
    with path.open("rb") as raw:
        stream = JsonReader(raw, limits=limits)
        try:
            for item in ijson.items(stream, prefix, use_float=True):
                number += 1
                stream.record_done()
                yield item
        except ijson.JSONError as error:
            raise (stream.error(number + 1) or _invalid(error)) from None
