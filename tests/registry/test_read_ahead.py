"""Large files are read in a second process: same records, same errors, same database."""

from __future__ import annotations

import json
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
    assert [(p.number, p.record, p.errors) for p in ahead] == [
        (p.number, p.record, p.errors) for p in plain
    ]
    assert [p.record is None for p in ahead] == [False, False, True, False]


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
    assert (report.created, report.rejected) == (3, 1)
    assert report.lines[0].endswith(
        "#3: study_type: posten saknar studietyp (designModule.studyType)"
    )
    assert Study.objects.count() == StudyVersion.objects.count() == 3
    broken = import_file(path=_page(tmp_path, PAGE, cut=True), publish=True)
    assert (broken.unchanged, broken.rejected) == (2, 2)
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
    assert len(prepared) == 3
    search_reindex()  # from the stored rows
    assert _index_rows() == prepared
