"""Opaque id cursors for the API's keyset paging of organisations and sites."""

from __future__ import annotations

import base64

from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed


def cursor_encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _sep, number = text.partition(":")
        if kind == "id" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ValidationFailed(
        code="invalid_cursor",
        field="cursor",
        message=_("The cursor is not one this API gave out; start again without it."),
    )
