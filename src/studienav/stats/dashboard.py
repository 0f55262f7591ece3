"""The statistics panel on the staff start page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from studienav.core.selectors import AnyUser


def dashboard_panels(user: AnyUser) -> list[dict[str, Any]]:
    return [
        {
            "title": _("Statistics and key figures"),
            "count": None,
            "url": reverse("stats:staff"),
            "link_text": _("Key figures and the annual report"),
        }
    ]
