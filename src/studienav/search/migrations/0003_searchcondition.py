"""Condition keys of indexed studies, for matching people to studies without a scan.

On PostgreSQL the key column compares bytewise ("C"), so a key prefix is a range of the index.
The keys of studies indexed before this migration are written here.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

POSTGRES_FORWARD = 'ALTER TABLE search_searchcondition ALTER COLUMN key TYPE text COLLATE "C"'
POSTGRES_BACKWARD = (
    'ALTER TABLE search_searchcondition ALTER COLUMN key TYPE text COLLATE "default"'
)


def collation_forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)


def collation_backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)


def keys_forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from studienav.search.conditions import study_condition_keys

    SearchEntry = apps.get_model("search", "SearchEntry")
    SearchCondition = apps.get_model("search", "SearchCondition")
    Study = apps.get_model("registry", "Study")
    ids = list(SearchEntry.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 1000):
        rows = []
        for study in Study.objects.filter(pk__in=ids[start : start + 1000]).prefetch_related(
            "conditions"
        ):
            keys = study_condition_keys(
                names=[c.name for c in study.conditions.all()],
                codes=[c.icd10 for c in study.conditions.all() if c.icd10],
                keywords=[k for k in study.keywords or [] if isinstance(k, str)],
            )
            rows.extend(SearchCondition(entry_id=study.pk, key=key) for key in sorted(keys))
        SearchCondition.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_text_indexes"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchCondition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.TextField()),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="condition_keys",
                        to="search.searchentry",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["key", "entry"], name="search_sear_key_1e0c72_idx")
                ],
            },
        ),
        migrations.RunPython(collation_forward, collation_backward),
        migrations.RunPython(keys_forward, migrations.RunPython.noop),
    ]
