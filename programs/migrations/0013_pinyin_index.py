"""
The Chinese sorts of the program list (title, lead organisation) in pinyin
order, read from an index in the `pinyin` collation (metrics 0019) as the
English sorts are from theirs. SQLite needs the collation registered to
write these tables, which every connection of the project does.
"""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0018_pinyin_collation"),
        ("programs", "0012_statement_basis"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="program",
            name="program_state_title_zh",
        ),
        migrations.RemoveIndex(
            model_name="program",
            name="program_state_lead_zh",
        ),
        migrations.AddIndex(
            model_name="program",
            index=models.Index(
                models.F("publication_state"),
                django.db.models.functions.comparison.Collate("title_zh", "pinyin"),
                models.F("id"),
                name="program_state_title_zh",
            ),
        ),
        migrations.AddIndex(
            model_name="program",
            index=models.Index(
                models.F("publication_state"),
                django.db.models.functions.comparison.Collate(
                    "lead_organisation_name_zh", "pinyin"
                ),
                models.F("id"),
                name="program_state_lead_zh",
            ),
        ),
    ]
