"""Hostile files: deep nesting, huge records, zip bombs and endless rows are refused clearly.

Each file is small on disk and built here; the limits are settings (IMPORT_*), set low where
a test would otherwise have to write millions of rows.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from studienav.core.models import User
from studienav.registry.importers import ImportLimits, ctgov_sync, import_file
from studienav.registry.models import Study
from tests.registry.test_importers import V2, v2_study

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]
DEEP = 30_000  # levels: 60 KB of brackets
TOO_DEEP = "nested deeper than 64 levels"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests compare the importers' exact English messages (tests start in Swedish)."""
    with translation.override("en"):
        yield


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_studies", *args, stdout=out, stderr=err)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _brackets(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


def _study(nct: str) -> str:
    return json.dumps(v2_study(nct))


# --- JSON: nesting and record size ------------------------------------------------------


def test_60_kb_of_nested_brackets_is_one_clear_line_from_the_command(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"protocolSection": ' + _brackets() + "}", encoding="utf-8")
    assert path.stat().st_size < 61_000
    code, out, err = _run(str(path))
    assert code == 1
    assert err.splitlines() == [f"{path}#1: record: {TOO_DEEP}"]
    assert out.strip() == "created 0, updated 0, unchanged 0, rejected 1, flagged 0"


def test_a_deep_study_in_a_page_stops_the_file_after_the_studies_before_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "page.json"
    deep = '{"protocolSection": {"designModule": ' + _brackets() + "}}"
    path.write_text(
        '{"studies": [' + ",".join([_study("NCT09000101"), deep, _study("NCT09000102")]) + "]}",
        encoding="utf-8",
    )
    report = import_file(path=path)
    assert report.lines == [f"{path}#2: record: {TOO_DEEP}"]
    assert (report.created, report.rejected) == (1, 1)
    assert Study.objects.get().identifiers.filter(value="NCT09000101").exists()


@pytest.mark.parametrize(
    ("format", "text"),
    [
        ("ctgov-classic", '{"FullStudiesResponse": {"FullStudies": [{"Study": %s}]}}'),
        ("ctis", '[{"ctNumber": "2023-500001-01-00", "trialPhase": %s}]'),
    ],
)
def test_deep_records_of_the_other_json_formats_are_refused(
    tmp_path: Path, format: str, text: str
) -> None:
    path = tmp_path / f"{format}.json"
    path.write_text(text % _brackets(), encoding="utf-8")
    code, _out, err = _run(str(path), "--format", format)
    assert code == 1
    assert err.splitlines() == [f"{path}#1: record: {TOO_DEEP}"]


def test_nesting_before_the_records_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "classic.json"
    path.write_text('{"junk": ' + _brackets() + "}", encoding="utf-8")
    code, _out, err = _run(str(path), "--format", "ctgov-classic")
    assert code == 1
    assert err.splitlines() == [f"{path}: {TOO_DEEP}"]


def test_a_study_larger_than_the_record_limit_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.IMPORT_MAX_RECORD_BYTES = 100 * 1024
    huge = v2_study("NCT09000103")
    huge["protocolSection"]["descriptionModule"]["briefSummary"] = "Lorem ipsum. " * 40_000
    path = tmp_path / "page.json"
    path.write_text(
        '{"studies": [' + ",".join([_study("NCT09000104"), json.dumps(huge)]) + "]}",
        encoding="utf-8",
    )
    report = import_file(path=path)
    assert report.lines == [f"{path}#2: record: larger than 100.0 KB"]
    assert report.created == 1


def test_real_records_pass_the_limits() -> None:
    report = import_file(path=V2 / "NCT00973089.json")
    assert (report.created, report.lines) == (1, [])


# --- JSON lines -------------------------------------------------------------------------

GOOD_LINE = {
    "format": "studienav.study/1",
    "public_title": "T",
    "study_type": "drug",
    "sponsor_type": "academic",
}


def test_a_deep_json_line_is_rejected_on_its_own(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    deep = '{"format": "studienav.study/1", "conditions": ' + _brackets() + "}"
    path.write_text(deep + "\n" + json.dumps(GOOD_LINE) + "\n", encoding="utf-8")
    code, out, err = _run(str(path))
    assert code == 1
    assert err.splitlines() == [f"{path}#1: record: {TOO_DEEP}"]
    assert out.strip() == "created 1, updated 0, unchanged 0, rejected 1, flagged 0"


def test_a_json_line_longer_than_the_limit_is_rejected_and_skipped(
    tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_RECORD_BYTES = 1024
    path = tmp_path / "export.jsonl"
    long = json.dumps({**GOOD_LINE, "summary_sv": "x" * 5000})
    path.write_text(long + "\n" + json.dumps(GOOD_LINE) + "\n", encoding="utf-8")
    report = import_file(path=path)
    assert report.lines == [f"{path}#1: record: larger than 1.0 KB"]
    assert report.created == 1


# --- XML --------------------------------------------------------------------------------


def test_deep_xml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    path.write_text(
        "<clinical_study>" + "<a>" * DEEP + "</a>" * DEEP + "</clinical_study>", encoding="utf-8"
    )
    code, _out, err = _run(str(path))
    assert code == 1
    assert err.splitlines() == [f"{path}#1: record: {TOO_DEEP}"]


def test_an_xml_study_larger_than_the_record_limit_is_refused(
    tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_RECORD_BYTES = 100 * 1024
    path = tmp_path / "big.xml"
    path.write_text(
        "<clinical_study>" + "<keyword>x</keyword>" * 20_000 + "</clinical_study>",
        encoding="utf-8",
    )
    report = import_file(path=path)
    assert report.lines == [f"{path}#1: record: larger than 100.0 KB"]


# --- spreadsheets -----------------------------------------------------------------------

HEADER = ["Titel", "Studietyp", "Sponsortyp", "NCT-nummer", "Prövningsställe", "Ort"]


def _row(number: int, site: str = "") -> list[str]:
    return [f"Studie {number}", "Läkemedelsprövning", "Akademisk", f"NCT0910{number:04d}", site, ""]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=";").writerows([HEADER, *rows])
    return path


def test_rows_over_the_limit_stop_the_file(tmp_path: Path, settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 3
    path = _csv(tmp_path / "many.csv", [_row(n) for n in range(1, 21)])
    code, out, err = _run(str(path))
    assert code == 1
    assert err.splitlines() == [
        f"{path}#5: record: more than 3 rows; this row and the rows after it are not read"
    ]
    assert out.strip() == "created 3, updated 0, unchanged 0, rejected 1, flagged 0"


def test_one_study_over_endless_rows_is_refused_and_its_rows_skipped(
    tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_ROWS_PER_STUDY = 3
    same = [_row(1, site=f"Klinik {n}") for n in range(10)]
    path = _csv(tmp_path / "one-key.csv", [*same, _row(2)])
    report = import_file(path=path)
    assert report.lines == [f"{path}#2: record: one study spans more than 3 rows"]
    assert report.created == 1
    assert Study.objects.get().public_title == "Studie 2"


def test_a_csv_row_larger_than_the_record_limit_stops_the_file(
    tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_RECORD_BYTES = 1024
    path = _csv(tmp_path / "wide.csv", [_row(1), [*_row(2)[:-1], "x" * 5000], _row(3)])
    report = import_file(path=path)
    assert report.lines == [f"{path}#3: record: larger than 1.0 KB"]
    assert report.created == 1


def test_cells_beyond_the_column_limit_are_never_kept(tmp_path: Path) -> None:
    path = tmp_path / "commas.csv"
    path.write_text(";".join(HEADER) + "\n" + ";".join(_row(1)) + ";" * 200_000 + "\n")
    report = import_file(path=path)
    assert (report.created, report.lines) == (1, [])


def test_a_header_wider_than_the_column_limit_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.IMPORT_MAX_COLUMNS = 10
    path = _csv(tmp_path / "wide.csv", [])
    path.write_text(";".join(HEADER + [f"Extra {n}" for n in range(10)]) + "\n")
    report = import_file(path=path)
    assert report.lines == [f"{path}: more than 10 columns"]


def _zip_bomb(path: Path, megabytes: int = 200) -> Path:
    """A file that looks like XLSX: its sheet unpacks to `megabytes` of repeated rows."""
    row = b'<row><c t="inlineStr"><is><t>Studie</t></is></c></row>' * 1000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        with bomb.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b"<worksheet><sheetData>")
            for _ in range(megabytes * 1_000_000 // len(row)):
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
    return path


def test_an_xlsx_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = _zip_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 1_000_000
    code, _out, err = _run(str(path))
    assert code == 1
    assert err.splitlines() == [
        f"{path}: a part of the XLSX file (xl/worksheets/sheet1.xml) is compressed more than "
        "100 to 1"
    ]


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    settings.IMPORT_MAX_COMPRESSION_RATIO = 100_000
    path = _zip_bomb(tmp_path / "big.xlsx", megabytes=2)
    report = import_file(path=path)
    assert report.lines == [f"{path}: the XLSX file unpacks to more than 1.0 MB"]


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Studier")
    for row in [HEADER, *rows]:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_rows_over_the_limit_stop_the_file(tmp_path: Path, settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 3
    path = _xlsx(tmp_path / "many.xlsx", [_row(n) for n in range(1, 11)])
    report = import_file(path=path)
    assert report.lines == [
        f"{path}#5: record: more than 3 rows; this row and the rows after it are not read"
    ]
    assert report.created == 3


# --- limits of the web ------------------------------------------------------------------


def test_web_limits_are_the_lower_ones(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 1_000_000
    settings.IMPORT_WEB_MAX_ROWS = 500
    assert ImportLimits.web().rows == 500
    assert ImportLimits.from_settings().rows == 1_000_000
    assert ImportLimits.web().file_bytes == settings.IMPORT_WEB_MAX_BYTES
    assert ImportLimits.from_settings().file_bytes is None


def _preview(client: Client, name: str, content: bytes) -> Any:
    upload = SimpleUploadedFile(name, content)
    return client.post(reverse("registry:import"), {"file": upload, "format": "auto"})


@pytest.fixture
def office(
    client: Client, signed_in: SignIn, cecilia: User, settings: Any, tmp_path: Path
) -> Client:
    settings.VAR_DIR = tmp_path  # where the page keeps uploads between preview and apply
    return signed_in(client, cecilia)


def test_staff_page_shows_deep_json_as_a_plain_line_and_writes_nothing(office: Client) -> None:
    content = ('{"studies": [' + _study("NCT09000105") + ", " + _brackets() + "]}").encode()
    response = _preview(office, "deep.json", content)
    assert response.status_code == 200
    assert f"deep.json#2: record: {TOO_DEEP}" in response.content.decode()
    assert not Study.objects.exists()


def test_staff_page_refuses_a_zip_bomb(office: Client, tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "bomb.xlsx").read_bytes()
    response = _preview(office, "bomb.xlsx", bomb)
    assert response.status_code == 200
    assert "is compressed more than 100 to 1" in response.content.decode()
    assert not Study.objects.exists()


def test_staff_page_counts_rows_with_the_web_limit(office: Client, settings: Any) -> None:
    settings.IMPORT_WEB_MAX_ROWS = 3
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([HEADER, *[_row(n) for n in range(1, 21)]])
    response = _preview(office, "many.csv", buffer.getvalue().encode())
    assert response.status_code == 200
    assert "many.csv#5: record: more than 3 rows" in response.content.decode()
    assert not Study.objects.exists()


def test_staff_page_refuses_a_file_over_the_web_size(office: Client, settings: Any) -> None:
    settings.IMPORT_WEB_MAX_BYTES = 1024
    response = _preview(office, "page.json", ('{"studies": [' + _study("NCT1") + "]}").encode())
    # The form reads the same setting and refuses it next to the field, before it is kept.
    assert response.status_code == 422
    assert "larger than 1.0 KB" in str(response.context["form"].errors["file"])
    assert not (settings.VAR_DIR / "import-uploads").exists() or not any(
        (settings.VAR_DIR / "import-uploads").iterdir()
    )


# --- the ClinicalTrials.gov sync --------------------------------------------------------


class _DeepPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data = ('{"studies": ' + _brackets() + "}").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_deep_page_from_the_registry_is_one_clear_line() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DeepPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    try:
        report = ctgov_sync.sync_ctgov(url=url, attempts=1)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert report.lines == [
        f"sync-ctgov: ClinicalTrials.gov sent a page that is not JSON ({url}/studies)"
    ]
