"""Spreadsheets (CSV or XLSX) from local project databases, with Swedish column headers.

One row per study and site: consecutive rows sharing an identifier (NCT-nummer, EU
CT-nummer, Diarienummer or Lokalt nummer) form one study with several sites; the study's
fields come from its first row. A study repeated further down the file is applied again and
adds its sites (the registry merges on identifiers). `FILE#N` is the spreadsheet row number
of the study's first row (the header is row 1). Unknown columns are ignored; `Titel` is
required. CSV is read as UTF-8 (Windows-1252 when it is not), `;` or `,` separated. XLSX is
read with openpyxl in read-only mode, first sheet, once its parts' declared sizes pass the
limits (a zip bomb is refused before it is opened). Both stream row by row, within
`ImportLimits`: rows, rows of one study, cells of a row, the size of a row.

Columns (`COLUMNS`) and values:
- Studietyp: Läkemedelsprövning, Medicinteknisk prövning, Annan interventionsstudie,
  Observationsstudie. Fas: 1, 2, 3, 4, 1/2, 2/3, Tidig fas 1, Ej tillämpligt (also I-IV).
- Sponsortyp: Akademisk, Industri, Annan offentlig. Status: Ej startad, Rekryterar,
  Rekryterar via inbjudan, Pågående (recruiting), Rekrytering avslutad, Pausad, Avslutad,
  Avbruten, Återkallad, Okänd.
- Kön: Alla, Kvinnor, Män. Friska frivilliga: Ja/Nej. Vårdform: Sjukhusvård, Primärvård,
  Tandvård (comma separated).
- Region: a region's code (03) or name (Region Uppsala). Startdatum/Slutdatum: YYYY-MM-DD;
  a start date in the future is planned, an end date is actual once the study is completed.
- Planerat antal deltagare / Antal inkluderade: per site (the row); the study's totals are
  their sums. Diagnos and ICD-10: `;` separated, paired in order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.models import Region
from studienav.registry import identifiers as ids
from studienav.registry.importers._common import (
    ImportFileError,
    Notes,
    ParsedRecord,
    enum_key,
    line,
    parse_bool,
    parse_date,
    parse_int,
    text,
)
from studienav.registry.importers._limits import ImportLimits, size, stopped, too_large
from studienav.registry.importers._salvage import build

SOURCE = "spreadsheet"

# Header -> internal key (documented order; the template writes them in this order).
COLUMNS = {
    "Titel": "title",
    "Engelsk titel": "title_en",
    "Kort beskrivning": "summary",
    "Studietyp": "study_type",
    "Fas": "phase",
    "Sponsortyp": "sponsor_type",
    "Sponsor": "sponsor",
    "Status": "status",
    "Diarienummer": "ethics",
    "NCT-nummer": "nct",
    "EU CT-nummer": "eu_ct",
    "Lokalt nummer": "local",
    "Region": "region",
    "Prövningsställe": "site",
    "Ort": "city",
    "Huvudprövare": "investigator",
    "Kontakt e-post": "email",
    "Startdatum": "start",
    "Slutdatum": "end",
    "Planerat antal deltagare": "target",
    "Antal inkluderade": "actual",
    "Diagnos": "diagnosis",
    "ICD-10": "icd10",
    "Minsta ålder": "min_age",
    "Högsta ålder": "max_age",
    "Kön": "sex",
    "Friska frivilliga": "healthy",
    "Vårdform": "care",
}

EXAMPLE = {
    "Titel": "Tidig mobilisering efter höftfraktur",
    "Engelsk titel": "Early mobilisation after hip fracture",
    "Kort beskrivning": "Studien jämför tidig mobilisering med sedvanlig vård.",
    "Studietyp": "Annan interventionsstudie",
    "Fas": "Ej tillämpligt",
    "Sponsortyp": "Akademisk",
    "Sponsor": "Region Uppsala",
    "Status": "Rekryterar",
    "Diarienummer": "2023-01234-01",
    "NCT-nummer": "",
    "EU CT-nummer": "",
    "Lokalt nummer": "UU-2023-17",
    "Region": "03",
    "Prövningsställe": "Akademiska sjukhuset",
    "Ort": "Uppsala",
    "Huvudprövare": "Anna Berg",
    "Kontakt e-post": "anna.berg@example.se",
    "Startdatum": "2024-02-01",
    "Slutdatum": "2026-12-31",
    "Planerat antal deltagare": "120",
    "Antal inkluderade": "35",
    "Diagnos": "Höftfraktur",
    "ICD-10": "S72.0",
    "Minsta ålder": "65",
    "Högsta ålder": "",
    "Kön": "Alla",
    "Friska frivilliga": "Nej",
    "Vårdform": "Sjukhusvård",
}

_STUDY_TYPE = {
    "LAKEMEDELSPROVNING": "drug",
    "KLINISK_LAKEMEDELSPROVNING": "drug",
    "MEDICINTEKNISK_PROVNING": "device",
    "KLINISK_PROVNING_AV_MEDICINTEKNIK": "device",
    "ANNAN_INTERVENTIONSSTUDIE": "other_interventional",
    "INTERVENTIONSSTUDIE": "other_interventional",
    "OBSERVATIONSSTUDIE": "observational",
    "REGISTERSTUDIE": "observational",
    "DRUG": "drug",
    "DEVICE": "device",
    "OTHER_INTERVENTIONAL": "other_interventional",
    "OBSERVATIONAL": "observational",
}
_PHASE = {
    "": "na",
    "EJ_TILLAMPLIGT": "na",
    "NA": "na",
    "TIDIG_FAS_1": "early_1",
    "1": "1",
    "I": "1",
    "1_2": "1_2",
    "I_II": "1_2",
    "2": "2",
    "II": "2",
    "2_3": "2_3",
    "II_III": "2_3",
    "3": "3",
    "III": "3",
    "4": "4",
    "IV": "4",
}
_SPONSOR_TYPE = {
    "AKADEMISK": "academic",
    "INDUSTRI": "industry",
    "FORETAG": "industry",
    "LAKEMEDELSFORETAG": "industry",
    "ANNAN_OFFENTLIG": "other_public",
    "OFFENTLIG": "other_public",
    "ACADEMIC": "academic",
    "INDUSTRY": "industry",
    "OTHER_PUBLIC": "other_public",
}
_STATUS = {
    "": "not_yet_recruiting",
    "EJ_STARTAD": "not_yet_recruiting",
    "PLANERAD": "not_yet_recruiting",
    "REKRYTERAR": "recruiting",
    "PAGAENDE": "recruiting",
    "REKRYTERAR_VIA_INBJUDAN": "enrolling_by_invitation",
    "REKRYTERING_AVSLUTAD": "active_not_recruiting",
    "PAGAENDE_REKRYTERAR_EJ": "active_not_recruiting",
    "PAUSAD": "suspended",
    "AVSLUTAD": "completed",
    "AVBRUTEN": "terminated",
    "ATERKALLAD": "withdrawn",
    "OKAND": "unknown",
}
_SITE_STATUS = {
    "not_yet_recruiting": "not_yet_recruiting",
    "recruiting": "recruiting",
    "enrolling_by_invitation": "enrolling_by_invitation",
    "suspended": "suspended",
}
_SEX = {"": "all", "ALLA": "all", "BADA": "all", "KVINNOR": "female", "KVINNA": "female"}
_SEX |= {"MAN": "male", "MAN_": "male", "MEN": "male", "ALL": "all", "FEMALE": "female"}


def _key(value: Any) -> str:
    folded = (
        line(value)
        .replace("å", "a")
        .replace("ä", "a")
        .replace("ö", "o")
        .replace("Å", "A")
        .replace("Ä", "A")
        .replace("Ö", "O")
        .replace("é", "e")
    )
    return enum_key(re.sub(r"^fas\s+", "", folded, flags=re.IGNORECASE)) if folded else ""


def _choice(table: dict[str, str], value: Any, column: str, default: str, notes: Notes) -> str:
    """The value's meaning, or the default and a note naming the values the column takes."""
    key = _key(value)
    if key in table:
        return table[key]
    notes.add(
        column,
        value,
        _("%(value)s is not one of: %(choices)s; kept as %(default)s until checked")
        % {
            "value": repr(line(value)[:40]),
            "choices": ", ".join(sorted({k for k in table if k})[:8]).lower(),
            "default": default,
        },
    )
    return default


def _regions() -> dict[str, str]:
    names: dict[str, str] = {}
    for code, name, short, name_en in Region.objects.values_list(
        "code", "name", "short_name", "name_en"
    ):
        for value in (code, name, short, name_en):
            names[value.casefold()] = code
    return names


def _cell(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    if isinstance(value, str):
        return value.strip()
    return "" if value is None else value


def _date(value: Any, column: str, notes: Notes) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parsed: dt.date | None = notes.parsed(column, parse_date, value)
    return parsed


def _whole_number(value: Any) -> int | None:
    if isinstance(value, str):
        value = re.sub(r"\s*år$", "", value.strip(), flags=re.IGNORECASE)
    return parse_int(value)


def _number(value: Any, column: str, notes: Notes) -> int | None:
    parsed: int | None = notes.parsed(column, _whole_number, value)
    return parsed


def study_data(
    rows: list[dict[str, Any]], regions: dict[str, str], notes: Notes | None = None
) -> dict[str, Any]:
    """The fields of a `StudyRecord` from a study's rows; what cannot be read is noted."""
    notes = notes if notes is not None else Notes()
    first = rows[0]
    status = _choice(_STATUS, _cell(first, "status"), "Status", "unknown", notes)
    identifiers: list[dict[str, Any]] = []
    region_code: str | None = None
    region_text = line(_cell(first, "region"))
    if region_text:
        region_code = regions.get(region_text.casefold())
        if region_code is None:
            notes.add(
                "Region",
                region_text,
                _("%(value)s is not a region (give its code, like 03, or name)")
                % {"value": repr(region_text[:40])},
            )
    for key, scheme in (
        ("nct", "nct"),
        ("eu_ct", None),
        ("ethics", "ethics"),
    ):
        value = line(_cell(first, key))
        if not value:
            continue
        if scheme is None:
            known = ids.recognise(value)
            scheme = known[0] if known and known[0] in ("eu_ct", "eudract") else "eu_ct"
        identifiers.append({"scheme": scheme, "value": value, "is_primary": not identifiers})
    local = line(_cell(first, "local"))
    if local:
        identifiers.append({"scheme": "local", "value": local, "region": region_code})
    names = [p.strip() for p in text(_cell(first, "diagnosis")).split(";") if p.strip()]
    codes = [p.strip() for p in re.split(r"[;,]", text(_cell(first, "icd10"))) if p.strip()]
    conditions = [
        {
            "name": names[i] if i < len(names) else codes[i],
            "icd10": codes[i] if i < len(codes) else "",
        }
        for i in range(max(len(names), len(codes)))
    ]
    care = {_key(p) for p in re.split(r"[,;/]", text(_cell(first, "care"))) if p.strip()}
    today = timezone.localdate()
    start = _date(_cell(first, "start"), "Startdatum", notes)
    end = _date(_cell(first, "end"), "Slutdatum", notes)
    sites = []
    targets: list[int] = []
    actuals: list[int] = []
    for row in rows:
        name = line(_cell(row, "site"))
        target = _number(_cell(row, "target"), "Planerat antal deltagare", notes)
        actual = _number(_cell(row, "actual"), "Antal inkluderade", notes)
        if target is not None:
            targets.append(target)
        if actual is not None:
            actuals.append(actual)
        if not name:
            continue
        row_region = line(_cell(row, "region"))
        sites.append(
            {
                "organisation": name,
                "city": line(_cell(row, "city")),
                "region": regions.get(row_region.casefold()) if row_region else region_code,
                "principal_investigator": line(_cell(row, "investigator")),
                "contact_email": line(_cell(row, "email")),
                "recruitment_status": _SITE_STATUS.get(status, "closed"),
                "target_enrolment": target,
                "actual_enrolment": actual,
            }
        )
    data: dict[str, Any] = {
        "source": SOURCE,
        "identifiers": identifiers,
        "public_title": line(_cell(first, "title")),
        "public_title_en": line(_cell(first, "title_en")),
        "summary_sv": text(_cell(first, "summary")),
        # No study type is neutral: other interventional claims the least (see _salvage).
        "study_type": _choice(
            _STUDY_TYPE, _cell(first, "study_type"), "Studietyp", "other_interventional", notes
        ),
        "phase": _choice(_PHASE, _cell(first, "phase"), "Fas", "na", notes),
        "sponsor_type": _choice(
            _SPONSOR_TYPE, _cell(first, "sponsor_type"), "Sponsortyp", "academic", notes
        ),
        "primary_sponsor_name": line(_cell(first, "sponsor")),
        "overall_status": status,
        "conditions": conditions,
        "min_age_years": _number(_cell(first, "min_age"), "Minsta ålder", notes),
        "max_age_years": _number(_cell(first, "max_age"), "Högsta ålder", notes),
        "sex": _choice(_SEX, _cell(first, "sex"), "Kön", "all", notes),
        "healthy_volunteers": parse_bool(_cell(first, "healthy")),
        "sites": sites,
        "target_enrolment": sum(targets) if targets else None,
        "actual_enrolment": sum(actuals) if actuals else None,
    }
    if care:
        data["in_hospital_care"] = bool(care & {"SJUKHUSVARD", "SLUTENVARD", "SPECIALISTVARD"})
        data["in_primary_care"] = "PRIMARVARD" in care
        data["in_dental_care"] = "TANDVARD" in care
    if start is not None:
        data[
            "actual_start_date"
            if start <= today and status != "not_yet_recruiting"
            else "planned_start_date"
        ] = start
    if end is not None:
        data["actual_end_date" if status in ("completed", "terminated") else "planned_end_date"] = (
            end
        )
    return data


def _group_key(row: dict[str, Any]) -> tuple[str, ...]:
    for key in ("nct", "eu_ct", "ethics"):
        value = line(_cell(row, key)).upper()
        if value:
            return (key, value)
    local = line(_cell(row, "local")).upper()
    if local:
        return ("local", local, line(_cell(row, "region")).casefold())
    return ("title", line(_cell(row, "title")).casefold())


def _header(cells: list[Any], limits: ImportLimits) -> list[str | None]:
    if any(line(c) for c in cells[limits.columns :] if c is not None):
        raise stopped(
            "spreadsheet_columns",
            _("more than %(limit)s columns") % {"limit": limits.columns},
        )
    known = {name.casefold(): key for name, key in COLUMNS.items()}
    header = [known.get(line(c).casefold()) for c in cells[: limits.columns]]
    if "title" not in header:
        raise ImportFileError(
            code="spreadsheet_header",
            message=_(
                "the first row must hold the column headers, Titel among them "
                "(download the template)"
            ),
        )
    return header


class _RowTooLarge(Exception):
    pass


class _Lines:
    """A CSV file's lines for `csv.reader`, ending at a row (one or more lines, a cell may
    hold line breaks) longer than `limit` characters before it is read whole."""

    def __init__(self, stream: IO[str], limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.row = 0  # characters of the row being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(self.limit + 1)
        if not line:
            raise StopIteration
        self.row += len(line)
        if self.row > self.limit:
            raise _RowTooLarge
        return line


def _csv_rows(path: Path, limits: ImportLimits) -> Iterator[list[Any]]:
    with path.open("rb") as raw:
        head = raw.read(65536)
    try:
        head.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as error:
        # A cut in the middle of a character at the end of the sample is still UTF-8.
        encoding = "utf-8-sig" if error.start >= len(head) - 3 else "cp1252"
    sample = head.decode(encoding, errors="replace")
    first = sample.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if first.count("\t") > max(first.count(";"), first.count(",")):
        delimiter = "\t"
    number = 0
    try:
        with path.open("r", encoding=encoding, newline="") as stream:
            lines = _Lines(stream, limits.record_bytes)
            for cells in csv.reader(lines, delimiter=delimiter):
                number += 1
                lines.row = 0
                yield cells
    except _RowTooLarge:
        raise too_large(limits.record_bytes, number + 1) from None
    except csv.Error as error:  # a cell larger than csv.field_size_limit(), a stray quote
        raise stopped(
            "csv_invalid", _("cannot read the CSV: %(error)s") % {"error": error}, number + 1
        ) from None
    except UnicodeDecodeError as error:
        raise ImportFileError(
            code="csv_invalid", message=_("cannot read the CSV: %(error)s") % {"error": error}
        ) from None


# An XLSX file has some ten parts, one a sheet; small parts (under 1 MB) may pack well.
_PARTS = 10_000
_SMALL = 1024 * 1024


def _zip_check(path: Path, limits: ImportLimits) -> None:
    """Refuse an XLSX file whose parts would unpack beyond the limits, before openpyxl reads
    it. The sizes are the ones the zip declares: Python's zipfile never unpacks more than a
    part declares (it stops there, and the checksum then fails)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(
            code="xlsx_invalid",
            message=_("not a readable XLSX file: %(error)s") % {"error": type(error).__name__},
        ) from None
    if len(parts) > _PARTS:
        raise ImportFileError(
            code="xlsx_parts",
            message=_("the XLSX file has more than %(limit)s parts") % {"limit": _PARTS},
        )
    if sum(part.file_size for part in parts) > limits.unpacked_bytes:
        raise ImportFileError(
            code="xlsx_unpacked",
            message=_("the XLSX file unpacks to more than %(size)s")
            % {"size": size(limits.unpacked_bytes)},
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _SMALL and ratio > limits.compression_ratio:
            raise ImportFileError(
                code="xlsx_ratio",
                message=_(
                    "a part of the XLSX file (%(name)s) is compressed more than %(ratio)s to 1"
                )
                % {"name": part.filename[:100], "ratio": limits.compression_ratio},
            )


def _xlsx_rows(path: Path, limits: ImportLimits) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    _zip_check(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(
            code="xlsx_invalid",
            message=_("not a readable XLSX file: %(error)s") % {"error": type(error).__name__},
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # One cell beyond the limit, so that a header wider than the limit is seen.
        for row in sheet.iter_rows(max_col=limits.columns + 1, values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _too_many_rows(limits: ImportLimits) -> str:
    return _("one study spans more than %(limit)s rows") % {"limit": limits.rows_per_study}


def read(path: Path, *, limits: ImportLimits | None = None) -> Iterator[ParsedRecord]:
    limits = limits or ImportLimits.from_settings()
    with path.open("rb") as stream:
        is_zip = stream.read(4) == b"PK\x03\x04"
    rows = _xlsx_rows(path, limits) if is_zip else _csv_rows(path, limits)
    header: list[str | None] | None = None
    regions = _regions()
    group: list[dict[str, Any]] = []
    group_row = 0
    overflow = False  # the study of `key` has more rows than a study may: skip the rest
    key: tuple[str, ...] = ()
    try:
        for number, cells in enumerate(rows, start=1):
            if header is None:
                header = _header(cells, limits)
                continue
            if number > limits.rows + 1:
                raise stopped(
                    "spreadsheet_rows",
                    _("more than %(limit)s rows; this row and the rows after it are not read")
                    % {"limit": limits.rows},
                    number,
                )
            if not any(line(c) for c in cells[: limits.columns] if c is not None):
                continue
            row = {k: v for k, v in zip(header, cells, strict=False) if k is not None}
            row_key = _group_key(row)
            if (group or overflow) and row_key == key:
                if not overflow and len(group) < limits.rows_per_study:
                    group.append(row)
                elif not overflow:
                    group, overflow = [], True
                    yield ParsedRecord(group_row, errors=[("record", _too_many_rows(limits))])
                continue
            if group:
                yield build(group_row, partial(study_data, group, regions))
            group, group_row, key, overflow = [row], number, row_key, False
    except ImportFileError:
        if group:  # the rows read before the reading stopped make their study
            yield build(group_row, partial(study_data, group, regions))
        raise
    if header is None:
        raise ImportFileError(code="spreadsheet_empty", message=_("the spreadsheet is empty"))
    if group:
        yield build(group_row, partial(study_data, group, regions))


def spreadsheet_template(format: str) -> bytes:
    """The downloadable template: the headers and one example row, as `xlsx` or `csv`."""
    headers = list(COLUMNS)
    example = [EXAMPLE[h] for h in headers]
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerow(example)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if format != "xlsx":
        raise ValueError(_("format is xlsx or csv"))
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Studier")
    sheet.append(headers)
    sheet.append(example)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
