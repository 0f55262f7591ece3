"""The checksum manifest of a delivery: one line per delivered file, as `sha256sum` writes it.

Each line is the file's SHA-256 (64 hexadecimal digits), white space, and its name; a size in
bytes may follow the name after a tab. Blank lines and lines starting with `#` are skipped.
Only the names and checksums are kept: the files themselves never pass through studienav.
"""

from __future__ import annotations

import re
from typing import TypedDict

from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed

MAX_FILES = 10_000
_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(.+?)(?:\t(\d+))?$")


class ManifestEntry(TypedDict):
    name: str
    sha256: str
    size: int | None


def manifest_parse(text: str) -> list[ManifestEntry]:
    """The entries of the manifest, or ValidationFailed naming the first bad line."""
    entries: list[ManifestEntry] = []
    names: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValidationFailed(
                code="manifest_line",
                field="manifest",
                message=_(
                    "Line %(number)s is not a checksum line: 64 hexadecimal digits, a space, "
                    "the file name."
                )
                % {"number": number},
            )
        name = match.group(2).strip()
        if name in names:
            raise ValidationFailed(
                code="manifest_twice",
                field="manifest",
                message=_("Line %(number)s: %(name)s is listed twice.")
                % {"number": number, "name": name[:80]},
            )
        names.add(name)
        size = int(match.group(3)) if match.group(3) else None
        entries.append({"name": name[:500], "sha256": match.group(1).lower(), "size": size})
        if len(entries) > MAX_FILES:
            raise ValidationFailed(
                code="manifest_too_long",
                field="manifest",
                message=_("A manifest lists at most %(n)s files.") % {"n": MAX_FILES},
            )
    if not entries:
        raise ValidationFailed(
            code="manifest_empty",
            field="manifest",
            message=_("List every delivered file with its checksum."),
        )
    return entries
