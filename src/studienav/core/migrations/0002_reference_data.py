"""Load Sweden's healthcare regions, nodes, regions, municipalities and localities."""

from django.db import migrations


def load(apps, schema_editor):
    from studienav.core.reference import reference_data_load

    reference_data_load(apps)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
