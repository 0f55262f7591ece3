"""The e-mail outbox (delivered by a job, retried, never lost) and the schedule of jobs."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import studienav.participation.fields


class Migration(migrations.Migration):
    dependencies = [("core", "0004_organisation_review_note")]

    operations = [
        migrations.CreateModel(
            name="ScheduledJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=60, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_started_at", models.DateTimeField(blank=True, null=True)),
                ("running_since", models.DateTimeField(blank=True, null=True)),
                ("running_token", models.CharField(blank=True, max_length=32)),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("to", studienav.participation.fields.EncryptedTextField(verbose_name="recipient")),
                (
                    "subject",
                    studienav.participation.fields.EncryptedTextField(verbose_name="subject"),
                ),
                ("body", studienav.participation.fields.EncryptedTextField(verbose_name="text")),
                (
                    "language",
                    models.CharField(
                        choices=[("sv", "Swedish"), ("en", "English")],
                        default="sv",
                        max_length=2,
                        verbose_name="language",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("attempts", models.PositiveIntegerField(default=0)),
                (
                    "next_attempt_at",
                    models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
                ),
                ("last_error", models.CharField(blank=True, max_length=500)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("sent_at__isnull", True)),
                        fields=["next_attempt_at"],
                        name="outbox_due",
                    ),
                    models.Index(fields=["sent_at"], name="outbox_sent"),
                ],
            },
        ),
        migrations.CreateModel(
            name="JobRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("ok", models.BooleanField(null=True)),
                ("message", models.TextField(blank=True)),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="runs",
                        to="core.scheduledjob",
                    ),
                ),
            ],
            options={
                "ordering": ["-started_at", "-id"],
                "indexes": [
                    models.Index(fields=["job", "-started_at"], name="jobrun_latest"),
                    models.Index(fields=["started_at"], name="jobrun_started"),
                ],
            },
        ),
    ]
