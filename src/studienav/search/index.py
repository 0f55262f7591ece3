"""Keeping the search index in step with the registry: called by the services that write studies."""

from __future__ import annotations


def search_index_study(study_id: int) -> None:
    """Bring one study's index entry up to date (removed when the study is not public)."""


def search_reindex() -> int:
    """Rebuild the whole index; returns the number of studies indexed."""
    return 0
