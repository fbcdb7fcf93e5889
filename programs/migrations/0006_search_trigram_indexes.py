"""
Trigram indexes for searches, on PostgreSQL.

Django compiles `icontains` to UPPER(column::text) LIKE UPPER('%term%'), so
the indexes are on exactly that expression; a plain B-tree cannot serve a
LIKE with a leading wildcard. SQLite has no such index and needs none at
the sizes it is used for.
"""

from django.db import migrations

INDEXES = {
    "program_title_en_trgm": ("programs_program", "title_en"),
    "program_title_zh_trgm": ("programs_program", "title_zh"),
    "program_slug_trgm": ("programs_program", "slug"),
    "activity_title_en_trgm": ("programs_activity", "title_en"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("programs", "0005_sort_indexes")]

    operations = [migrations.RunPython(create, drop)]
