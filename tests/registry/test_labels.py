"""Labels and readable values of a study's fields in the record history."""

from __future__ import annotations

from django.utils import translation

from studienav.registry.labels import version_changes

OLD = {
    "sites": [
        {
            "organisation": "Akademiska sjukhuset",
            "city": "Uppsala",
            "recruitment_status": "not_yet_recruiting",
        }
    ]
}
NEW = {
    "sites": [
        {
            "organisation": "Akademiska sjukhuset",
            "city": "Uppsala",
            "recruitment_status": "recruiting",
        }
    ]
}


def test_history_shows_a_sites_status_by_its_label_not_its_code() -> None:
    with translation.override("en"):
        [(label, old, new)] = version_changes(OLD, NEW)
    assert (label, old, new) == (
        "Sites",
        "Akademiska sjukhuset Uppsala Not yet recruiting",
        "Akademiska sjukhuset Uppsala Recruiting",
    )


def test_history_labels_follow_the_readers_language() -> None:
    with translation.override("sv"):
        [(swedish, _old, new)] = version_changes(OLD, NEW)
    assert swedish == "Prövningsställen"
    assert "Rekryterar" in new
