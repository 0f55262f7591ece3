"""On SQLite the text index gets a second column of tags, the status and regions of each entry
(`studienav.search.index.fts_tags`), so that a search filtering on them narrows inside the
text index; the index is rebuilt from the entries' stored texts."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# The tags as they were when this migration was written (index.STATUS_TAGS).
STATUS_TAGS = {
    "not_yet_recruiting": "#ny",
    "recruiting": "#rc",
    "enrolling_by_invitation": "#bi",
    "active_not_recruiting": "#an",
    "suspended": "#su",
    "terminated": "#te",
    "completed": "#co",
    "withdrawn": "#wd",
    "unknown": "#un",
}


def _status_tag_sql() -> str:
    cases = " ".join(f"WHEN '{status}' THEN '{tag}'" for status, tag in STATUS_TAGS.items())
    return f"CASE e.status {cases} ELSE '#??' END"


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    schema_editor.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(document, tags, tokenize='trigram')"
    )
    # region_codes holds two-digit codes separated by single spaces: `#` before each.
    regions = (
        "CASE WHEN e.region_codes = '' THEN '' ELSE ' #' || replace(e.region_codes, ' ', ' #') END"
    )
    schema_editor.execute(
        "INSERT INTO search_fts (rowid, document, tags) "  # noqa: S608 (constants only)
        f"SELECT t.entry_id, t.document, {_status_tag_sql()} || {regions} "
        "FROM search_searchtext t JOIN search_searchentry e ON e.study_id = t.entry_id"
    )


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    schema_editor.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(document, tokenize='trigram')"
    )
    schema_editor.execute(
        "INSERT INTO search_fts (rowid, document) SELECT entry_id, document FROM search_searchtext"
    )


class Migration(migrations.Migration):
    dependencies = [("search", "0007_searchentry_facets")]

    operations = [migrations.RunPython(forward, backward)]
