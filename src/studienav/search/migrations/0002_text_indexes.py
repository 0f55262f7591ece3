"""The databases' own text indexes: FTS5 trigram on SQLite; pg_trgm and tsvector on PostgreSQL."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(document, tokenize='trigram')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS search_fts"]

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS search_text_document_trgm "
    "ON search_searchtext USING gin (document gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_text_conditions_trgm "
    "ON search_searchtext USING gin (conditions gin_trgm_ops)",
    "ALTER TABLE search_searchtext ADD COLUMN IF NOT EXISTS vector tsvector "
    "GENERATED ALWAYS AS "
    "(to_tsvector('swedish', document) || to_tsvector('english', document)) STORED",
    "CREATE INDEX IF NOT EXISTS search_text_vector ON search_searchtext USING gin (vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_text_vector",
    "ALTER TABLE search_searchtext DROP COLUMN IF EXISTS vector",
    "DROP INDEX IF EXISTS search_text_conditions_trgm",
    "DROP INDEX IF EXISTS search_text_document_trgm",
]


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
