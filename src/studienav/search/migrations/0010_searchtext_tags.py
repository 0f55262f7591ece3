"""Each entry's text row gets the tags of its status and regions (`search.index.fts_tags`),
written from the entries; on PostgreSQL a GIN index of them (`to_tsvector('simple', tags)`),
which a text search ANDs with the trigram index's matches in one bitmap, so a broad word
(`cancer`) rechecks only the documents of the asked statuses and regions."""

from __future__ import annotations

from collections.abc import Callable

from django.db import migrations, models
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


def _tags_sql() -> str:
    cases = " ".join(f"WHEN '{status}' THEN '{tag}'" for status, tag in STATUS_TAGS.items())
    # region_codes holds two-digit codes separated by single spaces: `#` before each.
    regions = (
        "CASE WHEN e.region_codes = '' THEN '' ELSE ' #' || replace(e.region_codes, ' ', ' #') END"
    )
    return f"(CASE e.status {cases} ELSE '#??' END) || {regions}"


POSTGRES_INDEX = (
    "CREATE INDEX IF NOT EXISTS search_text_tags "
    "ON search_searchtext USING gin (to_tsvector('simple'::regconfig, tags))"
)


def tags_write(execute: Callable[[str], object], vendor: str) -> None:
    """Write every text row's tags from its entry (one UPDATE)."""
    if vendor == "postgresql":
        execute(
            f"UPDATE search_searchtext t SET tags = {_tags_sql()} "  # noqa: S608 (constants)
            "FROM search_searchentry e WHERE e.study_id = t.entry_id"
        )
    else:
        execute(
            f"UPDATE search_searchtext SET tags = (SELECT {_tags_sql()} "  # noqa: S608
            "FROM search_searchentry e WHERE e.study_id = search_searchtext.entry_id)"
        )


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    tags_write(schema_editor.execute, vendor)
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_INDEX)
        schema_editor.execute("ANALYZE search_searchtext")


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_text_tags")


class Migration(migrations.Migration):
    dependencies = [("search", "0009_condition_vocabulary")]

    operations = [
        migrations.AddField(
            model_name="searchtext",
            name="tags",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(forward, backward),
    ]
