"""
The version of published content, raised by triggers on the tables the
public pages read (metrics.content_version); the page cache keys on it.
"""

from django.db import migrations, models

from metrics.content_version import METRICS_TABLES, create_triggers, drop_triggers


def first_version(apps, schema_editor):
    apps.get_model("metrics", "ContentVersion").objects.create(pk=1, version=1)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0009_release_imports"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField(default=0, verbose_name="version")),
            ],
            options={
                "verbose_name": "content version",
                "verbose_name_plural": "content versions",
            },
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
        migrations.RunPython(create_triggers(METRICS_TABLES), drop_triggers(METRICS_TABLES)),
    ]
