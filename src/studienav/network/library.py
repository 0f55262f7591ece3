"""Every write of the document library: documents, their versions (files kept outside the web
root, checked by content, bounded in size) and the reminder when a review date passes."""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import PermissionDenied, ValidationFailed, model_validate
from studienav.core.models import User
from studienav.core.services import send_templated_mail
from studienav.network.models import Document, DocumentVersion
from studienav.network.selectors import can_manage_documents

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PDF: "pdf", DOCX: "docx", XLSX: "xlsx"}
DOCUMENT_FIELDS = ("title", "description", "topic", "language", "owner", "review_on", "visibility")


def library_dir() -> Path:
    """Outside the web root: files are served only through the view that checks visibility."""
    return Path(settings.MEDIA_ROOT) / "network"


def content_type_of(content: bytes) -> str | None:
    """PDF, DOCX or XLSX judged by the bytes, never by the name; None for anything else."""
    if content.startswith(b"%PDF-"):
        return PDF
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _read_checked(upload: File) -> tuple[bytes, str]:
    limit = settings.NETWORK_DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(
            code="file_too_large",
            field="file",
            message=_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationFailed(
            code="file_too_large",
            field="file",
            message=_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
        )
    kind = content_type_of(content)
    if kind is None:
        raise ValidationFailed(
            code="file_type",
            field="file",
            message=_("Only PDF, Word (DOCX) and Excel (XLSX) files can be added."),
        )
    return content, kind


def _require_manager(by: User) -> None:
    if not can_manage_documents(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office manages the library.")
        )


def _version_add(*, document: Document, upload: File, by: User, note: str) -> DocumentVersion:
    content, kind = _read_checked(upload)
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    stored = f"{secrets.token_hex(16)}.{EXTENSIONS[kind]}"
    name = Path(str(upload.name or "document")).name[:200]
    version = DocumentVersion(
        document=document,
        number=number,
        stored_name=stored,
        file_name=name,
        content_type=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        note=note.strip(),
        uploaded_by=by,
    )
    model_validate(version)
    folder = library_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored
    path.write_bytes(content)
    # Named by a random token, never by the upload's name; a rolled-back version leaves only
    # an unreferenced file.
    version.save()
    audit_record(actor=by, action="document_version.add", obj=version, before={}, reason=note)
    return version


@transaction.atomic
def document_create(*, by: User, data: dict[str, Any], upload: File, note: str = "") -> Document:
    """Add a document with its first version."""
    _require_manager(by)
    document = Document(**{k: v for k, v in data.items() if k in DOCUMENT_FIELDS})
    model_validate(document)
    document.save()
    audit_record(actor=by, action="document.create", obj=document, before={})
    _version_add(document=document, upload=upload, by=by, note=note)
    return document


@transaction.atomic
def document_update(
    *, by: User, document: Document, data: dict[str, Any], reason: str = ""
) -> Document:
    """Change a document's description, owner, review date or visibility."""
    _require_manager(by)
    before = snapshot(document)
    for name in DOCUMENT_FIELDS:
        if name in data:
            setattr(document, name, data[name])
    model_validate(document)
    document.save()
    audit_record(actor=by, action="document.update", obj=document, before=before, reason=reason)
    return document


@transaction.atomic
def document_version_add(
    *, by: User, document: Document, upload: File, note: str = ""
) -> DocumentVersion:
    """Upload a new version; the older ones stay and remain reachable."""
    _require_manager(by)
    return _version_add(document=document, upload=upload, by=by, note=note)


def version_path(version: DocumentVersion) -> Path:
    return library_dir() / version.stored_name


def review_reminders_send(*, today: date | None = None) -> int:
    """Tell each document's owner once when its review date has passed (again after the
    review date is moved and passes anew)."""
    today = today or timezone.localdate()
    due = Document.objects.filter(review_on__lte=today).filter(
        Q(review_reminded_on__isnull=True) | Q(review_reminded_on__lt=F("review_on"))
    )
    sent = 0
    for document in due.select_related("owner"):
        with transaction.atomic():
            document.review_reminded_on = today
            document.save(update_fields=["review_reminded_on"])
            owner = document.owner
            with translation.override(owner.language):
                link = settings.SITE_URL + reverse("network:document", args=[document.pk])
            send_templated_mail(
                to=owner.email,
                language=owner.language,
                template="network/email/review_due",
                context={"document": document, "link": link, "owner": owner},
            )
            sent += 1
    return sent
