"""Condition keys carry their entry's recruitment, ages and sex, so that matching reads one
covering index; the rows indexed before this migration get them from their entries."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FILL = """
UPDATE search_searchcondition SET
    is_recruiting = (SELECT e.is_recruiting FROM search_searchentry e
                     WHERE e.study_id = search_searchcondition.entry_id),
    min_age = (SELECT e.min_age FROM search_searchentry e
               WHERE e.study_id = search_searchcondition.entry_id),
    max_age = (SELECT e.max_age FROM search_searchentry e
               WHERE e.study_id = search_searchcondition.entry_id),
    sex = (SELECT e.sex FROM search_searchentry e
           WHERE e.study_id = search_searchcondition.entry_id)
"""


def fits_forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute(FILL)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_searchcondition"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="searchcondition",
            name="search_sear_key_1e0c72_idx",
        ),
        migrations.AddField(
            model_name="searchcondition",
            name="is_recruiting",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="searchcondition",
            name="max_age",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchcondition",
            name="min_age",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchcondition",
            name="sex",
            field=models.CharField(default="", max_length=10),
        ),
        migrations.RunPython(fits_forward, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="searchcondition",
            index=models.Index(
                fields=["key", "entry", "is_recruiting", "min_age", "max_age", "sex"],
                name="searchcondition_key_fits",
            ),
        ),
    ]
