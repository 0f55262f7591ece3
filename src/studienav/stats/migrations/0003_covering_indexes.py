from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_append_only_triggers"),
        ("stats", "0002_figure_counts"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="enrolmentfact",
            name="stats_enrol_region__55fce4_idx",
        ),
        migrations.RemoveIndex(
            model_name="enrolmentfact",
            name="stats_enrol_region__68f107_idx",
        ),
        migrations.AddIndex(
            model_name="enrolmentfact",
            index=models.Index(
                fields=["region", "year", "site_id", "increment"],
                name="stats_enrol_region__64f450_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="studyfact",
            index=models.Index(
                fields=[
                    "region",
                    "start_date",
                    "end_date",
                    "status_confirmed_at",
                    "start_year",
                    "sponsor_type",
                ],
                name="studyfact_key_figures",
            ),
        ),
    ]
