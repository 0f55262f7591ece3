"""The document library: content-checked files, versions kept, visibility, review reminders."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from studienav.core.errors import PermissionDenied, ValidationFailed
from studienav.core.models import User
from studienav.network import library
from studienav.network.models import Document, Topic, Visibility
from tests.network.conftest import mails_to

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _data(owner: User, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Nationell avtalsmall",
        "topic": Topic.AGREEMENTS,
        "language": "sv",
        "owner": owner,
        "review_on": date(2025, 12, 31),
        "visibility": Visibility.PUBLIC,
    }
    data.update(overrides)
    return data


def _upload(content: bytes = PDF, name: str = "mall.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def test_a_pdf_and_a_spreadsheet_are_accepted_by_their_content(cecilia: User) -> None:
    document = library.document_create(by=cecilia, data=_data(cecilia), upload=_upload())
    version = library.document_version_add(
        by=cecilia, document=document, upload=_upload(_xlsx(), "budget.pdf")
    )
    assert version.number == 2
    assert version.content_type == library.XLSX
    assert library.version_path(version).read_bytes().startswith(b"PK")


def test_a_renamed_program_is_refused(cecilia: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        library.document_create(
            by=cecilia, data=_data(cecilia), upload=_upload(b"MZ\x90\x00program", "mall.pdf")
        )
    assert error.value.field == "file"
    assert not Document.objects.exists()


def test_a_file_over_the_limit_is_refused(cecilia: User, settings: Any) -> None:
    settings.NETWORK_DOCUMENT_MAX_BYTES = 20
    with pytest.raises(ValidationFailed) as error:
        library.document_create(by=cecilia, data=_data(cecilia), upload=_upload())
    assert error.value.code == "file_too_large"


def test_only_node_office_adds_documents(bertil: User) -> None:
    with pytest.raises(PermissionDenied):
        library.document_create(by=bertil, data=_data(bertil), upload=_upload())


def test_old_versions_stay_reachable(client: Client, cecilia: User) -> None:
    document = library.document_create(by=cecilia, data=_data(cecilia), upload=_upload())
    library.document_version_add(by=cecilia, document=document, upload=_upload(PDF + b"%v2"))
    first = client.get(f"/documents/{document.pk}/v1/")
    second = client.get(f"/documents/{document.pk}/v2/")
    assert first.status_code == second.status_code == 200
    assert b"".join(first.streaming_content) == PDF  # type: ignore[attr-defined]


def test_the_public_page_lists_public_documents_by_topic(client: Client, cecilia: User) -> None:
    library.document_create(by=cecilia, data=_data(cecilia), upload=_upload())
    library.document_create(
        by=cecilia,
        data=_data(cecilia, title="Intern rutin", visibility=Visibility.STAFF),
        upload=_upload(),
    )
    page = client.get("/en/documents/").content.decode()
    assert "Nationell avtalsmall" in page and "Agreements and contracts" in page
    assert "Intern rutin" not in page


def test_a_staff_document_is_404_for_the_public(client: Client, cecilia: User) -> None:
    document = library.document_create(
        by=cecilia, data=_data(cecilia, visibility=Visibility.STAFF), upload=_upload()
    )
    assert client.get(f"/documents/{document.pk}/v1/").status_code == 404


def test_the_owner_is_reminded_once_when_the_review_date_passes(cecilia: User) -> None:
    document = library.document_create(by=cecilia, data=_data(cecilia), upload=_upload())
    assert library.review_reminders_send(today=date(2025, 12, 30)) == 0
    assert library.review_reminders_send(today=date(2026, 1, 2)) == 1
    assert library.review_reminders_send(today=date(2026, 1, 3)) == 0
    assert "Nationell avtalsmall" in mails_to(cecilia.email)[-1].subject
    library.document_update(by=cecilia, document=document, data={"review_on": date(2026, 6, 1)})
    assert library.review_reminders_send(today=date(2026, 6, 1) + timedelta(days=1)) == 1
