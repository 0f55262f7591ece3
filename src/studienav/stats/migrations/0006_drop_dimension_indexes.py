from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0005_facts_dims"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="studyfact",
            name="stats_study_region__db9b05_idx",
        ),
        migrations.RemoveIndex(
            model_name="studyfact",
            name="stats_study_region__92c990_idx",
        ),
    ]
