"""Query helpers shared by the API, the FHIR facade and the search fallback: opaque id
cursors for keyset paging, and public studies matching every one of a list of conditions."""

from __future__ import annotations

import base64

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed
from studienav.registry.models import Study
from studienav.registry.selectors import studies_public


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


def studies_public_where(conditions: list[Q]) -> QuerySet[Study]:
    """Public studies meeting every condition; each condition may span rows of its own
    (a site in Uppsala AND a recruiting site elsewhere), so they are applied one by one."""
    studies = studies_public()
    if not conditions:
        return studies
    matching = Study.objects.all()
    for condition in conditions:
        matching = matching.filter(condition)
    return studies.filter(pk__in=matching.values("pk"))
