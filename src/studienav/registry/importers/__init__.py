"""Importers: registry files in, `StudyRecord`s applied one at a time, a report out.

Each format module has `read(path, *, limits) -> Iterator[ParsedRecord]`, streaming its input
within `ImportLimits`: what cannot be understood of a record is kept as a note on it
(`_salvage`), a record with no identity at all is rejected on its own with `(field, message)`
pairs, a file that cannot be read at all (or not beyond a limit) raises `ImportFileError`.
`import_file` applies the records with `records.records_apply` in small batches (each record
all or nothing, every change audited with the file name as its reason, its notes kept on the
study for a coordinator) and counts what happened.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from studienav.core.errors import DomainError
from studienav.core.models import User
from studienav.registry.importers._ahead import read_ahead
from studienav.registry.importers._common import ImportFileError, ParsedRecord
from studienav.registry.importers._limits import ImportLimits, size
from studienav.registry.organisations import OrganisationMatcher
from studienav.registry.records import (
    ApplyResult,
    ImportNote,
    Outcome,
    record_apply,
    record_prepare,
    records_apply,
    region_codes,
    registry_statistics_refresh,
)
from studienav.registry.schema import FORMAT, StudyRecord

FORMATS = ("ctgov", "ctgov-classic", "ctgov-xml", "ctis", "spreadsheet", "jsonl")
# Records a transaction: larger batches write each index page fewer times (bench_import).
BATCH = 500
# When a second process reads the file (importers._ahead) and has nothing more ready, the
# records waiting are written at once if there are at least this many: the writing process
# never sits idle on a part-filled batch, nor writes a whole last batch after the reading
# ended (bench_import).
IDLE_BATCH = 50

__all__ = [
    "FORMATS",
    "ImportFileError",
    "ImportLimits",
    "ImportReport",
    "ParsedRecord",
    "RecordOutcome",
    "apply_parsed",
    "detect_format",
    "import_file",
    "reader",
]


@dataclass
class RecordOutcome:
    """What an import did (or, in a dry run, would do) with one record: for a preview."""

    number: int
    title: str
    identifiers: list[str]
    outcome: str  # an `Outcome`, or "rejected"
    errors: list[tuple[str, str]] = field(default_factory=list)
    notes: list[ImportNote] = field(default_factory=list)
    # For an update: {field: (old, new)} as the exchange record has them.
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    flagged: int = 0
    """Records kept with notes on what could not be understood (also counted above)."""
    lines: list[str] = field(default_factory=list)
    """One `FILE#N: field: message` line per rejected record (or `FILE: message`), and one
    `FILE#N: field: message (kept for review)` per note of a kept record."""
    file_error: str = ""
    """The line saying why the file as a whole could not be read (or not beyond a point:
    `FILE#N: record: message`), if it could not."""
    records: list[RecordOutcome] | None = None
    """Each record's outcome, when asked for (`import_file(..., detail=True)`)."""

    @property
    def summary(self) -> str:
        return _(
            "created %(created)s, updated %(updated)s, unchanged %(unchanged)s, "
            "rejected %(rejected)s, flagged %(flagged)s"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "flagged": self.flagged,
        }

    def add(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        self.flagged += other.flagged
        self.lines.extend(other.lines)


def detect_format(path: Path) -> str:
    """The format of a file, by its extension and a look at its first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".csv", ".tsv"):
        return "spreadsheet"
    try:
        with path.open("rb") as stream:
            head = stream.read(65536)
    except OSError as error:
        raise ImportFileError(
            code="file_unreadable",
            message=_("cannot read the file: %(error)s") % {"error": error.strerror},
        ) from None
    if head.startswith(b"PK\x03\x04"):
        return "spreadsheet"
    sample = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if sample.startswith("<") or suffix == ".xml":
        if "<clinical_study" in sample:
            return "ctgov-xml"
        raise ImportFileError(
            code="format_unknown",
            message=_("XML, but not a ClinicalTrials.gov <clinical_study>"),
        )
    first_line = sample.split("\n", 1)[0]
    if suffix in (".jsonl", ".ndjson") or FORMAT in first_line:
        return "jsonl"
    if "FullStudiesResponse" in sample:
        return "ctgov-classic"
    if "ctNumber" in sample:
        return "ctis"
    if "protocolSection" in sample or sample.startswith(("{", "[")):
        return "ctgov"
    raise ImportFileError(
        code="format_unknown",
        message=_("cannot tell the file's format; give --format (one of %(formats)s)")
        % {"formats": ", ".join(FORMATS)},
    )


Read = Callable[..., Iterator[ParsedRecord]]


def reader(format: str) -> Read:
    from studienav.registry.importers import (
        ctgov,
        ctgov_classic,
        ctgov_xml,
        ctis,
        jsonl,
        spreadsheet,
    )

    readers: dict[str, Read] = {
        "ctgov": ctgov.read,
        "ctgov-classic": ctgov_classic.read,
        "ctgov-xml": ctgov_xml.read,
        "ctis": ctis.read,
        "spreadsheet": spreadsheet.read,
        "jsonl": jsonl.read,
    }
    if format not in readers:
        raise ImportFileError(
            code="format_unknown",
            message=_("unknown format %(format)s (one of auto, %(formats)s)")
            % {"format": format, "formats": ", ".join(FORMATS)},
        )
    return readers[format]


def _error_lines(error: Exception) -> list[tuple[str, str]]:
    if isinstance(error, DomainError):
        return [(error.field or "record", error.message)]
    if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
        return [
            (name, " ".join(str(m) for m in messages))
            for name, messages in error.message_dict.items()
        ]
    if isinstance(error, DjangoValidationError):
        return [("record", " ".join(error.messages))]
    return [("record", _("cannot be saved: %(error)s") % {"error": error})]


class _Applier:
    """Applies parsed records in batches; the fast path first, one by one when it fails."""

    def __init__(
        self,
        *,
        label: str,
        reason: str,
        publish: bool,
        by: User | None,
        matcher: OrganisationMatcher,
        report: ImportReport,
    ) -> None:
        self.label = label
        self.reason = reason
        self.publish = publish
        self.by = by
        self.matcher = matcher
        self.report = report
        self.batch: list[ParsedRecord] = []

    def reject(self, parsed: ParsedRecord, errors: list[tuple[str, str]]) -> None:
        self.report.rejected += 1
        for name, message in errors:
            self.report.lines.append(f"{self.label}#{parsed.number}: {name}: {message}")
        if self.report.records is not None:
            self.report.records.append(
                RecordOutcome(
                    number=parsed.number,
                    title=parsed.title,
                    identifiers=parsed.identifiers,
                    outcome="rejected",
                    errors=errors,
                )
            )

    def count(self, parsed: ParsedRecord, result: ApplyResult) -> None:
        if result.outcome == Outcome.CREATED:
            self.report.created += 1
        elif result.outcome == Outcome.UPDATED:
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        if parsed.notes:
            self.report.flagged += 1
            for note in parsed.notes:
                self.report.lines.append(
                    f"{self.label}#{parsed.number}: {note.field}: "
                    + _("%(message)s (kept for review)") % {"message": note.message}
                )
        if self.report.records is not None and parsed.record is not None:
            self.report.records.append(
                RecordOutcome(
                    number=parsed.number,
                    title=parsed.record.public_title,
                    identifiers=[i.value for i in parsed.record.identifiers],
                    outcome=result.outcome,
                    notes=parsed.notes,
                    changes=result.changes,
                )
            )

    def add(self, parsed: ParsedRecord) -> None:
        if parsed.record is None:
            self.flush()  # keep the report in file order
            self.reject(parsed, parsed.errors)
            return
        self.batch.append(parsed)
        if len(self.batch) >= BATCH:
            self.flush()

    def idle(self) -> None:
        """The reading process has nothing more yet: write what waits rather than wait."""
        if len(self.batch) >= IDLE_BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        mark = self.matcher.mark()
        try:
            with transaction.atomic():
                results = records_apply(
                    records=[_record(parsed) for parsed in batch],
                    by=self.by,
                    reason=self.reason,
                    publish=self.publish,
                    matcher=self.matcher,
                    prepared=[parsed.prepared for parsed in batch],
                    notes=[parsed.notes for parsed in batch],
                )
        except (DomainError, DjangoValidationError, DatabaseError):
            self.matcher.forget_since(mark)
            for parsed in batch:
                self.one(parsed)
            return
        for parsed, result in zip(batch, results, strict=True):
            if isinstance(result, DomainError):
                self.reject(parsed, _error_lines(result))
            else:
                self.count(parsed, result)

    def one(self, parsed: ParsedRecord) -> None:
        try:
            result = record_apply(
                record=_record(parsed),
                by=self.by,
                reason=self.reason,
                publish=self.publish,
                matcher=self.matcher,
                notes=parsed.notes,
            )
        except (DomainError, DjangoValidationError, DatabaseError) as error:
            self.reject(parsed, _error_lines(error))
        else:
            self.count(parsed, result)


def _record(parsed: ParsedRecord) -> StudyRecord:
    assert parsed.record is not None  # only records that are one are batched
    return parsed.record


class _Preparer:
    """Prepares each read record (`records.record_prepare`) in the reading process."""

    def __init__(self, region_codes: frozenset[str]) -> None:
        self.region_codes = region_codes

    def __call__(self, parsed: ParsedRecord) -> None:
        if parsed.record is None:
            return
        try:
            parsed.prepared = record_prepare(parsed.record, self.region_codes)
        except Exception:  # the writing process prepares it again, and reports why it fails
            parsed.prepared = None


def apply_parsed(
    parsed: Iterable[ParsedRecord | None],
    *,
    label: str,
    reason: str,
    publish: bool = False,
    dry_run: bool = False,
    by: User | None = None,
    matcher: OrganisationMatcher | None = None,
    detail: bool = False,
) -> ImportReport:
    """Apply a stream of parsed records; a dry run does the same work and rolls it back.
    A `None` in the stream says that the next record is not read yet (`_ahead.read_ahead`).
    `detail`: the report lists each record's outcome (`ImportReport.records`).

    A file that turns unreadable half way is reported as `FILE: message` (`FILE#N: record:
    message` when it stopped at a limit in record N) and counted as one rejection; the
    records before it stay applied (each was applied on its own).
    """
    matcher = matcher or OrganisationMatcher()
    report = ImportReport(records=[] if detail else None)
    applier = _Applier(
        label=label, reason=reason, publish=publish, by=by, matcher=matcher, report=report
    )
    mark = matcher.mark()
    # A real run commits record by record (batch by batch); a dry run is one transaction
    # rolled back at the end, so later records see earlier ones exactly as in a real run.
    with transaction.atomic() if dry_run else nullcontext():
        try:
            for item in parsed:
                if item is None:
                    applier.idle()
                else:
                    applier.add(item)
            applier.flush()
        except ImportFileError as error:
            applier.flush()
            report.rejected += 1
            number = error.params.get("number")
            where = f"{label}#{number}: {error.field or 'record'}" if number else label
            report.lines.append(f"{where}: {error.message}")
            report.file_error = report.lines[-1]
        if dry_run:
            transaction.set_rollback(True)
            matcher.forget_since(mark)
    if not dry_run and (report.created or report.updated):
        registry_statistics_refresh()  # the registry and its index grew or changed in bulk
    return report


@contextmanager
def _few_collections() -> Iterator[None]:
    """An import makes many objects, few of them in cycles, and drops them batch by batch; at
    the default thresholds the cyclic collector runs every 700 allocations and often walks the
    whole heap (Django, the models, the organisations). Here what exists is frozen out of its
    reach and the youngest generation collected less often (bench_import); both come back
    after the import. A reading process forked meanwhile starts with the same settings."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def import_file(
    *,
    path: Path | str,
    format: str = "auto",
    publish: bool = False,
    dry_run: bool = False,
    by: User | None = None,
    matcher: OrganisationMatcher | None = None,
    web: bool = False,
    detail: bool = False,
) -> ImportReport:
    """Import one file; its name is the audit reason of every change it makes. `web`: an
    upload through the staff import page, read within the lower limits of the web
    (`ImportLimits.web`); otherwise within the command line's. `detail`: list each record's
    outcome in the report (a preview)."""
    path = Path(path)
    label = str(path)
    limits = ImportLimits.web() if web else ImportLimits.from_settings()
    try:
        if not path.is_file():
            raise ImportFileError(code="file_missing", message=_("no such file"))
        if limits.file_bytes is not None and path.stat().st_size > limits.file_bytes:
            raise ImportFileError(
                code="file_too_large",
                message=_("the file is larger than %(size)s") % {"size": size(limits.file_bytes)},
            )
        kind = detect_format(path) if format == "auto" else format
        read = partial(reader(kind), limits=limits)
    except ImportFileError as error:
        return ImportReport(
            rejected=1,
            lines=[f"{label}: {error.message}"],
            file_error=f"{label}: {error.message}",
            records=[] if detail else None,
        )
    with _few_collections():
        return apply_parsed(
            read_ahead(read, path, _Preparer(frozenset(region_codes().values()))),
            label=label,
            reason=path.name,
            publish=publish,
            dry_run=dry_run,
            by=by,
            matcher=matcher,
            detail=detail,
        )
