"""PostgreSQL's word index (`search.words`): a vocabulary of the indexed texts' words, with a
trigram index to find the words a pattern matches and a hash index to find a word, and each
entry's word codes in a GIN index, written here for the entries there are. The tags' own GIN
index (0010) goes: the tags are among the word codes. On SQLite the table and the column are
created and stay empty: its FTS5 tables answer the patterns."""

from __future__ import annotations

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

POSTGRES_INDEXES = [
    "CREATE INDEX IF NOT EXISTS search_word_trgm "
    "ON search_searchword USING gin (word gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_word_word ON search_searchword USING hash (word)",
    "CREATE INDEX IF NOT EXISTS search_entry_words "
    "ON search_searchentry USING gin ((string_to_array(words, ' ')::bigint[]))",
    "DROP INDEX IF EXISTS search_text_tags",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_entry_words",
    "CREATE INDEX IF NOT EXISTS search_text_tags "
    "ON search_searchtext USING gin (to_tsvector('simple'::regconfig, tags))",
]


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # The codes first and the indexes after: one build instead of an index entry a row.
    from studienav.search.index import search_words_fill

    search_words_fill()
    for statement in POSTGRES_INDEXES:
        schema_editor.execute(statement)
    schema_editor.execute("ANALYZE search_searchword")
    schema_editor.execute("ANALYZE search_searchentry")


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0010_searchtext_tags")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.TextField()),
            ],
        ),
        migrations.AddField(
            model_name="searchentry",
            name="words",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(forward, backward),
        # A running search's matches on PostgreSQL, in a temporary table of the connection.
        migrations.CreateModel(
            name="SearchMatch",
            fields=[
                ("study_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("title", models.TextField()),
                ("status", models.CharField(max_length=30)),
                ("is_recruiting", models.BooleanField()),
                ("phase", models.CharField(max_length=10)),
                ("study_type", models.CharField(max_length=30)),
                ("sponsor_type", models.CharField(max_length=20)),
                ("therapeutic_area", models.CharField(max_length=5)),
                ("in_hospital_care", models.BooleanField()),
                ("in_primary_care", models.BooleanField()),
                ("in_dental_care", models.BooleanField()),
                ("sex", models.CharField(max_length=10)),
                ("healthy_volunteers", models.BooleanField()),
                ("updated_at", models.DateTimeField()),
                ("start_on", models.DateField()),
            ],
            options={"db_table": "search_matches", "managed": False},
        ),
    ]
