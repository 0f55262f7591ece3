"""Key the audit trail's hashes and chain the access log.

No row is rewritten: events already in the trail keep their plain SHA-256 (empty key id) and
access log entries their empty hashes; the first keyed row after them covers them all. SQLite
rebuilds a table to add or remove a column and drops its triggers with it: they are put back
after the change, either way.
"""

from django.db import migrations, models


def append_only_reinstall(apps, schema_editor):
    from studienav.core.triggers import append_only_install

    append_only_install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_outbox_and_jobs")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, append_only_reinstall),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="accesslogentry",
            name="previous_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="accesslogentry",
            name="hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="accesslogentry",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.RunPython(append_only_reinstall, migrations.RunPython.noop),
    ]
