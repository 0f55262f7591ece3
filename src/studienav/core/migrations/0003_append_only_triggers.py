"""Make the audit trail and the access log append-only in the database itself."""

from django.db import migrations


def install(apps, schema_editor):
    from studienav.core.triggers import append_only_install

    append_only_install(schema_editor.connection)


def remove(apps, schema_editor):
    from studienav.core.triggers import append_only_remove

    append_only_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_reference_data")]

    operations = [migrations.RunPython(install, remove)]
