"""An organisation an import could not place keeps what was given and a note for the coordinator."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0003_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="review_note",
            field=models.CharField(blank=True, max_length=500, verbose_name="to check"),
        ),
        migrations.RemoveConstraint(
            model_name="organisation", name="organisation_swedish_has_region"
        ),
        migrations.AddConstraint(
            model_name="organisation",
            constraint=models.CheckConstraint(
                condition=~models.Q(country="SE")
                | models.Q(region__isnull=False)
                | models.Q(needs_review=True),
                name="organisation_swedish_has_region",
            ),
        ),
    ]
