"""Template context shared by every page: the node this installation serves."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from studienav.core.selectors import current_node


def node(request: HttpRequest) -> dict[str, Any]:
    return {"node": current_node()}
