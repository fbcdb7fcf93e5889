"""
The `pinyin` collation, by which Chinese names sort (metrics.pinyin).

PostgreSQL takes it from ICU. SQLite cannot keep a collation in the
database: every connection registers it (metrics.apps), so here nothing is
done. Numbered 0019 so it does not meet another branch's 0018.
"""

from django.db import migrations

from metrics.db_triggers import run_for_vendor

STATEMENTS = {
    "postgresql": (
        ["CREATE COLLATION IF NOT EXISTS pinyin (provider = icu, locale = 'zh-u-co-pinyin')"],
        ["DROP COLLATION IF EXISTS pinyin"],
    ),
}


def create_collation(apps, schema_editor):
    run_for_vendor(schema_editor, STATEMENTS, forward=True)


def drop_collation(apps, schema_editor):
    run_for_vendor(schema_editor, STATEMENTS, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0017_problem_reports"),
    ]

    operations = [
        migrations.RunPython(create_collation, drop_collation, elidable=False),
    ]
