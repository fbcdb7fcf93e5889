"""Shares of a whole lie between 0 and 100: database triggers (see metrics.db_triggers)."""

from django.db import migrations

from metrics.db_triggers import create_share_bounds_triggers, drop_share_bounds_triggers


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]

    operations = [migrations.RunPython(create_share_bounds_triggers, drop_share_bounds_triggers)]
