"""
Migration 0004 turned off the separate index of `revision_of`; on
PostgreSQL Django's AlterField then also dropped the partial unique index
on that column, which is the "one open correction per figure" constraint
(and what the foreign key's delete checks read). This puts it back where
it is missing; where it exists (SQLite rebuilt the table from the model),
nothing happens.
"""

from django.db import migrations

CREATE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS observation_one_open_correction "
    "ON metrics_observation (revision_of_id) WHERE revision_of_id IS NOT NULL"
)


class Migration(migrations.Migration):
    dependencies = [("metrics", "0005_sort_indexes")]

    operations = [migrations.RunSQL(CREATE, reverse_sql=migrations.RunSQL.noop)]
