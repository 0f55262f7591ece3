"""What statistics a person may see on the staff pages: their regions and the node's key figures."""

from __future__ import annotations

from studienav.core.models import Region, Role
from studienav.core.selectors import AnyUser, is_node_office, node_regions, regions_where


def dashboard_regions(user: AnyUser) -> list[Region]:
    """Node office: every region of the node; a coordinator: their own; others: none (node only)."""
    if is_node_office(user):
        return list(node_regions())
    node = set(node_regions().values_list("pk", flat=True))
    return [r for r in regions_where(user, Role.NODE_COORDINATOR) if r.pk in node]
