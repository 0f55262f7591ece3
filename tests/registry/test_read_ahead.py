"""Large files are read in a second process: same records, same errors, same database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studienav.registry.importers import ImportFileError, _ahead, ctgov, import_file
from studienav.registry.models import Study, StudyVersion
from studienav.registry.records import public_snapshot
from studienav.search.index import search_reindex
from studienav.search.models import SearchCondition, SearchEntry, SearchText

V2 = Path(__file__).parent / "data" / "ctgov-v2"
PAGE = ["NCT00973089.json", "NCT03418623.json", "NCT00465816.json", "NCT06171568.json"]


@pytest.fixture
def every_file_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ahead, "LARGE", 0)
    monkeypatch.setattr(_ahead, "CHUNK", 2)  # several messages even for a few records


def _page(folder: Path, names: list[str], *, cut: bool = False) -> Path:
    studies = [json.loads((V2 / name).read_text(encoding="utf-8")) for name in names]
    text = json.dumps({"studies": studies})
    path = folder / "page.json"
    if cut:  # the file breaks off inside the last study
        text = text[: text.rindex('"protocolSection"') + 30]
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.usefixtures("every_file_is_large")
def test_read_ahead_gives_the_records_of_a_plain_read(tmp_path: Path) -> None:
    path = _page(tmp_path, PAGE)
    ahead = [p for p in _ahead.read_ahead(ctgov.read, path) if p is not None]
    plain = list(ctgov.read(path))
    assert [(p.number, p.record, p.errors, p.notes) for p in ahead] == [
        (p.number, p.record, p.errors, p.notes) for p in plain
    ]
    # The third has no study type: kept, with its note.
    assert [bool(p.notes) for p in ahead] == [False, False, True, False]


@pytest.mark.usefixtures("every_file_is_large")
def test_a_file_that_breaks_off_gives_the_records_before_it_then_the_file_error(
    tmp_path: Path,
) -> None:
    path = _page(tmp_path, PAGE, cut=True)
    read: list[int] = []
    with pytest.raises(ImportFileError) as raised:
        read.extend(p.number for p in _ahead.read_ahead(ctgov.read, path) if p is not None)
    assert read == [1, 2, 3]
    assert raised.value.code == "json_invalid"


@pytest.mark.django_db
@pytest.mark.usefixtures("every_file_is_large")
def test_import_of_a_large_file_writes_what_a_small_one_does(tmp_path: Path) -> None:
    report = import_file(path=_page(tmp_path, PAGE), publish=True)
    assert (report.created, report.rejected, report.flagged) == (4, 0, 1)
    assert "#3: study_type: posten saknar studietyp (designModule.studyType)" in report.lines[0]
    assert Study.objects.count() == StudyVersion.objects.count() == 4
    assert Study.objects.filter(import_notes_open=1).count() == 1
    broken = import_file(path=_page(tmp_path, PAGE, cut=True), publish=True)
    assert (broken.unchanged, broken.rejected) == (3, 1)
    assert broken.lines[-1].startswith(f"{tmp_path / 'page.json'}: inte giltig JSON")


def _index_rows() -> list[tuple[object, ...]]:
    texts = {t.entry_id: (t.document, t.conditions) for t in SearchText.objects.all()}
    keys: dict[int, list[str]] = {}
    for entry_id, key in SearchCondition.objects.order_by("key").values_list("entry_id", "key"):
        keys.setdefault(entry_id, []).append(key)
    return [
        (entry.study_id, entry.title, texts[entry.study_id], keys.get(entry.study_id))
        for entry in SearchEntry.objects.order_by("study_id")
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("every_file_is_large")
def test_what_the_reading_process_prepares_is_what_the_stored_study_gives(
    tmp_path: Path,
) -> None:
    import_file(path=_page(tmp_path, PAGE), publish=True)
    for study in Study.objects.all():
        version, stored = study.versions.get().data, public_snapshot(study)
        for data in (version, stored):  # the record's order, the table's order
            data["identifiers"].sort(key=lambda i: (i["scheme"], i["value"]))
        assert version == stored
    prepared = _index_rows()
    assert len(prepared) == 4
    search_reindex()  # from the stored rows
    assert _index_rows() == prepared


# Starts a read ahead in its own process, prints the reading process's id once it has a
# record, and then waits (the reading process, a record a message, blocks on a full queue).
_IMPORTING = """
import multiprocessing, sys, time
from pathlib import Path
import django
django.setup()
from studienav.registry.importers import _ahead, ctgov
_ahead.LARGE, _ahead.CHUNK, _ahead.AHEAD = 0, 1, 1
records = _ahead.read_ahead(ctgov.read, Path(sys.argv[1]))
next(record for record in records if record is not None)
print(*[child.pid for child in multiprocessing.active_children()], flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Whether a process runs (a zombie, which only waits to be reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: ask the process itself
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"


def test_the_reading_process_ends_when_the_importing_process_is_killed(tmp_path: Path) -> None:
    path = _page(tmp_path, PAGE * 10)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "studienav.settings"}
    importing = subprocess.Popen(
        [sys.executable, "-c", _IMPORTING, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    readers: list[int] = []
    try:
        assert importing.stdout is not None
        readers = [int(pid) for pid in importing.stdout.readline().split()]
        assert readers and all(_running(pid) for pid in readers)
        os.kill(importing.pid, signal.SIGKILL)
        importing.wait(timeout=60)
        for _attempt in range(300):  # waits up to a minute; usually at once
            if not any(_running(pid) for pid in readers):
                break
            time.sleep(0.2)
        assert not any(_running(pid) for pid in readers)
    finally:
        importing.kill()
        importing.wait(timeout=60)
        for pid in readers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
