"""Bulk writes and the planner's statistics after them."""

from __future__ import annotations

import pytest
from django.db import connection

from studienav.core.bulk import JsonText, planner_statistics_refresh, rows_insert
from studienav.core.models import AuditEvent, Region
from studienav.stats.models import NationalFile

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="an SQLite setting")
def test_sampled_statistics_leave_later_analysis_whole() -> None:
    planner_statistics_refresh(Region, AuditEvent)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit")
        assert cursor.fetchone()[0] == 0


def test_json_text_is_written_as_the_json_it_is() -> None:
    payload = {"år": 2025, "figures": [1, 2]}
    rows_insert(
        NationalFile,
        ("node", "year", "generated_at", "imported_at", "sha256", "payload"),
        [
            ("a", 2025, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "x", payload),
            (
                "b",
                2025,
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                "x",
                JsonText('{"\\u00e5r": 2025, "figures": [1, 2]}'),
            ),
        ],
    )
    assert [f.payload for f in NationalFile.objects.order_by("node")] == [payload, payload]
