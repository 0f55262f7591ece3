"""Private files: a rejected upload leaves no file behind, and a deletion that is rolled back
still finds its file."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from studienav.core.errors import ValidationFailed
from studienav.core.files import (
    pdf_upload_check,
    private_discard,
    private_read,
    private_store,
    private_stored,
)

PDF = b"%PDF-1.7\n%%EOF\n"


def test_a_pdf_within_the_limit_passes_and_others_are_named(tmp_path: Path) -> None:
    assert pdf_upload_check(SimpleUploadedFile("../../a.pdf", PDF), limit=100, field="f") == "a.pdf"
    with pytest.raises(ValidationFailed) as large:
        pdf_upload_check(SimpleUploadedFile("big.pdf", PDF * 10), limit=100, field="f")
    assert large.value.code == "attachment_too_large"
    assert large.value.field == "f"
    with pytest.raises(ValidationFailed) as text:
        pdf_upload_check(SimpleUploadedFile("notes.pdf", b"hello"), limit=100, field="f")
    assert text.value.code == "attachment_not_pdf"


def test_a_stored_file_reads_back_and_foreign_names_read_nothing(tmp_path: Path) -> None:
    name, digest = private_store(PDF, folder=tmp_path)
    assert private_read(name, folder=tmp_path) == PDF
    assert len(digest) == 64
    assert private_read("../" + name, folder=tmp_path) is None
    assert private_read(".hidden", folder=tmp_path) is None
    assert private_read("", folder=tmp_path) is None


def test_work_that_fails_takes_its_new_file_away(tmp_path: Path) -> None:
    seen: list[bool] = []

    def record_then_fail() -> None:
        with private_stored(PDF, folder=tmp_path) as (name, _digest):
            seen.append((tmp_path / name).exists())
            raise ValidationFailed(code="x", field="f", message="no")

    with pytest.raises(ValidationFailed):
        record_then_fail()
    assert seen == [True]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_deletion_keeps_its_file(tmp_path: Path) -> None:
    name, _digest = private_store(PDF, folder=tmp_path)

    class Undo(Exception):
        pass

    def discard_then_undo() -> None:
        with transaction.atomic():
            private_discard(name, folder=tmp_path)
            raise Undo

    with pytest.raises(Undo):
        discard_then_undo()
    assert (tmp_path / name).exists()

    with transaction.atomic():
        private_discard(name, folder=tmp_path)
        assert (tmp_path / name).exists()
    assert not (tmp_path / name).exists()
