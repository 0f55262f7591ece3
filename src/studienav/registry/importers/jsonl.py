"""Our own export (`studienav.study/1`): one `StudyRecord` as JSON per line.

Read line by line, so memory stays flat; blank lines are skipped but still counted, so
`FILE#N` is the line number. A line that is not JSON, or not a record of this format, is
rejected on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from studienav.registry.importers._common import ImportFileError, ParsedRecord, build, first_line
from studienav.registry.schema import FORMAT


def _data(line: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
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


def read(path: Path) -> Iterator[ParsedRecord]:
    try:
        with path.open("r", encoding="utf-8-sig") as stream:
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    yield build(number, partial(_data, line))
    except UnicodeDecodeError:
        raise ImportFileError(code="encoding", message=_("the file is not UTF-8 text")) from None
