"""How much of a file an import will read: nesting, one record's size, rows, columns, unpacking.

A hostile or broken file must cost bounded memory and end in a clear line, never in a
process killed for its memory or a RecursionError. The limits are settings (IMPORT_*); the
staff import page reads uploads with lower ones (IMPORT_WEB_*). A limit that a record
passes is checked again on the next; one that a file passes ends the reading with
`FILE#N: record: message` (N the record or row where it stopped) or `FILE: message`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from studienav.registry.importers._common import ImportFileError


@dataclass(frozen=True)
class ImportLimits:
    """How much of a file one import reads, from the settings."""

    depth: int
    """JSON and XML nesting, counted from the file's top (IMPORT_MAX_DEPTH)."""
    record_bytes: int
    """One record as read: a JSON study, a JSON line, an XML study, a spreadsheet row
    (IMPORT_MAX_RECORD_BYTES)."""
    rows: int
    """Rows of a spreadsheet, the header not counted (IMPORT_MAX_ROWS)."""
    rows_per_study: int
    """Consecutive spreadsheet rows of one study, its sites (IMPORT_MAX_ROWS_PER_STUDY)."""
    columns: int
    """Spreadsheet cells read in a row; a wider header is refused (IMPORT_MAX_COLUMNS)."""
    unpacked_bytes: int
    """What an XLSX file's parts declare they unpack to, together (IMPORT_MAX_UNPACKED_BYTES)."""
    compression_ratio: int
    """How many times an XLSX part of over 1 MB may shrink when packed; spreadsheets shrink
    some 5 to 20 times (IMPORT_MAX_COMPRESSION_RATIO)."""
    file_bytes: int | None = None
    """The file's size; None: any size, it is streamed (IMPORT_WEB_MAX_BYTES on the web)."""

    @classmethod
    def from_settings(cls) -> ImportLimits:
        """The limits of the command line (IMPORT_MAX_*)."""
        return cls(
            depth=settings.IMPORT_MAX_DEPTH,
            record_bytes=settings.IMPORT_MAX_RECORD_BYTES,
            rows=settings.IMPORT_MAX_ROWS,
            rows_per_study=settings.IMPORT_MAX_ROWS_PER_STUDY,
            columns=settings.IMPORT_MAX_COLUMNS,
            unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        )

    @classmethod
    def web(cls) -> ImportLimits:
        """The limits of an upload through the staff import page: lower where the command
        line's would hold a web worker long or take much of its memory (IMPORT_WEB_*)."""
        limits = cls.from_settings()
        return dataclasses.replace(
            limits,
            rows=min(limits.rows, settings.IMPORT_WEB_MAX_ROWS),
            unpacked_bytes=min(limits.unpacked_bytes, settings.IMPORT_WEB_MAX_UNPACKED_BYTES),
            file_bytes=settings.IMPORT_WEB_MAX_BYTES,
        )


def size(value: int) -> str:
    """A number of bytes as people read it (`10.0 MB`, `10,0 MB` in Swedish)."""
    return str(filesizeformat(value)).replace("\xa0", " ")  # a plain space on a terminal


def too_deep(limits: ImportLimits, number: int | None = None) -> ImportFileError:
    return stopped(
        "too_deep",
        _("nested deeper than %(limit)s levels") % {"limit": limits.depth},
        number,
    )


def too_large(limit: int, number: int | None = None) -> ImportFileError:
    return stopped("too_large", _("larger than %(size)s") % {"size": size(limit)}, number)


def stopped(code: str, message: str, number: int | None = None) -> ImportFileError:
    """The reading ends here: at record (or row) `number`, or the file as a whole."""
    if number is None:
        return ImportFileError(code=code, message=message)
    return ImportFileError(code=code, field="record", message=message, number=number)


class RecordReader:
    """A binary file that stops giving bytes once one record has taken more than its limit.

    The reader of the format calls `record_done()` after each record it hands on; when more
    than `limit` bytes are read after that, `read` gives nothing more (the parser then meets
    an early end) and `exceeded` holds the error to raise instead of the parser's. Parsers
    read ahead by a buffer (64 kB), so a record is measured to within that.
    """

    def __init__(self, raw: IO[bytes], *, limit: int) -> None:
        self.raw = raw
        self.limit = limit
        self.since = 0
        self.exceeded: ImportFileError | None = None

    def record_done(self) -> None:
        self.since = 0

    def read(self, size: int = -1) -> bytes:
        if self.exceeded is not None:
            return b""
        chunk = self.raw.read(size if size >= 0 else self.limit + 1)
        self.since += len(chunk)
        if self.since > self.limit:
            self.exceeded = too_large(self.limit)
            return b""
        return chunk

    def error(self, number: int) -> ImportFileError | None:
        """The limit the reading stopped at, for the record being read (`number`)."""
        if self.exceeded is None:
            return None
        exceeded = self.exceeded
        return stopped(exceeded.code, exceeded.message, number)
