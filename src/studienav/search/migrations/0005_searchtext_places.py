"""Place names get a column and, on SQLite, a text index of their own, matched from a word's
start (`astma` was found in `vastmanland`); every entry is rebuilt."""

from __future__ import annotations

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# Places in a text index of their own: their short texts make short lists to read (as a
# second column of `search_fts`, every place phrase read the documents' lists as well).
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_places USING fts5(places, tokenize='trigram')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS search_places"]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS search_text_places_trgm "
    "ON search_searchtext USING gin (places gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS search_text_places_trgm"]


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})
    if not apps.get_model("search", "SearchEntry").objects.exists():
        return  # a new database: nothing indexed yet
    # The index is derived from the registry: rebuilt whole, it splits every entry's text.
    from studienav.search.index import search_reindex

    search_reindex()


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("search", "0004_searchcondition_fits")]

    operations = [
        migrations.AddField(
            model_name="searchtext",
            name="places",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(forward, backward),
    ]
