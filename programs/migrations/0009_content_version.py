"""Changes to published programs and their parts raise the content version."""

from django.db import migrations

from metrics.content_version import create_triggers, drop_triggers
from programs.content_version import PROGRAMS_TABLES


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0010_content_version"),
        ("programs", "0008_publication_workflow"),
    ]

    operations = [
        migrations.RunPython(create_triggers(PROGRAMS_TABLES), drop_triggers(PROGRAMS_TABLES)),
    ]
