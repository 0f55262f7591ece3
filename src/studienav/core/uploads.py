"""The bound on an upload's size, applied before its body is read: Django bounds a form's
fields (`DATA_UPLOAD_MAX_MEMORY_SIZE`) but not the files sent with them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class UploadSizeLimit(FileUploadHandler):
    """Refuses a multipart body larger than `UPLOAD_MAX_BYTES` from its Content-Length (the
    server reads no more than that), before a byte of it is read or written to disk. Django
    answers the refusal as a bad request, which the error pages say is too large (413)."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.UPLOAD_MAX_BYTES:
            raise RequestDataTooBig("Upload body exceeded settings.UPLOAD_MAX_BYTES.")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
