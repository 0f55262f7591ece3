"""Our own export (`studienav.study/1`): one `StudyRecord` as JSON per line.

Read line by line, so memory stays flat; blank lines are skipped but still counted, so
`FILE#N` is the line number. A line that is not JSON, not a record of this format, nested
too deep or longer than a record may be (`ImportLimits`) is rejected on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from studienav.core.json_nesting import TooDeep, json_loads
from studienav.registry.importers._common import ImportFileError, Notes, ParsedRecord, first_line
from studienav.registry.importers._limits import ImportLimits, too_deep, too_large
from studienav.registry.importers._salvage import build
from studienav.registry.schema import FORMAT


def _data(line: str, limits: ImportLimits, notes: Notes) -> dict[str, Any]:
    """One line's record as data (its values are validated, and noted, by `build`)."""
    try:
        data = json_loads(line, max_depth=limits.depth)
    except TooDeep:
        raise too_deep(limits) from None
    except json.JSONDecodeError as error:
        raise ImportFileError(
            code="json_invalid",
            field="record",
            message=_("not valid JSON: %(error)s") % {"error": first_line(error)},
        ) from None
    if not isinstance(data, dict):
        raise ImportFileError(
            code="json_shape", field="record", message=_("a line must hold one JSON object")
        )
    if data.get("format", FORMAT) != FORMAT:
        raise ImportFileError(
            code="format_version",
            field="format",
            message=_("%(value)s is not %(format)s")
            % {"value": str(data.get("format"))[:40], "format": FORMAT},
        )
    return data


def _lines(stream: IO[str], limit: int) -> Iterator[str | None]:
    """The file's lines; None for a line longer than `limit`, whose rest is skipped unread."""
    while line := stream.readline(limit + 1):
        if len(line) <= limit or line.endswith("\n"):
            yield line
            continue
        while (rest := stream.readline(1024 * 1024)) and not rest.endswith("\n"):
            pass
        yield None


def read(path: Path, *, limits: ImportLimits | None = None) -> Iterator[ParsedRecord]:
    limits = limits or ImportLimits.from_settings()
    try:
        with path.open("r", encoding="utf-8-sig") as stream:
            for number, line in enumerate(_lines(stream, limits.record_bytes), start=1):
                if line is None:
                    error = too_large(limits.record_bytes)
                    yield ParsedRecord(number, errors=[("record", error.message)])
                elif line.strip():
                    yield build(number, partial(_data, line, limits))
    except UnicodeDecodeError:
        raise ImportFileError(code="encoding", message=_("the file is not UTF-8 text")) from None
