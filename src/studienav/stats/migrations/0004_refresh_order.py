from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0003_covering_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="factrefresh",
            options={"ordering": ["-started_at", "-pk"]},
        ),
    ]
