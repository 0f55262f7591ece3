"""Template context shared by every page: the node this installation serves, and the same
page in the other language."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language

from studienav.core.selectors import current_node


def node(request: HttpRequest) -> dict[str, Any]:
    return {"node": current_node()}


def other_language(request: HttpRequest) -> dict[str, Any]:
    """The language switch: a plain link to this page (with its query) in the other language,
    so that a page for the public carries no form, no token and no cookie."""
    code = "sv" if get_language() == "en" else "en"
    return {
        "other_language": {
            "code": code,
            "name": "Svenska" if code == "sv" else "English",
            "url": translate_url(request.get_full_path(), code),
        }
    }
