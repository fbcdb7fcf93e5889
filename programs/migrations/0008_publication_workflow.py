"""
Organisations go through review like programs, and programs are corrected
through review like figures: corrections, authors and revision dates.
Organisations that exist are public already, so they start published.

The staff roles keep their groups, but no longer their permissions: who
may do what is the publication policy's answer (metrics.workflow.policy),
asked through its authentication backend, so the groups' permission lists
would only be a second, disagreeing statement of it. The custom review and
import permissions go with them.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

from programs.db_triggers import create_sort_key_triggers, drop_sort_key_triggers

ROLES = ("editor", "reviewer", "viewer")
RETIRED = ("review_observation", "import_observation", "review_program")


def publish_existing_organisations(apps, schema_editor):
    apps.get_model("programs", "Organisation").objects.update(
        publication_state="published", published_at=timezone.now()
    )


def roles_without_permissions(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.clear()
    apps.get_model("auth", "Permission").objects.filter(codename__in=RETIRED).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0008_publication_workflow'),
        ('programs', '0007_program_sort_keys'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        # SQLite rebuilds the program and organisation tables below, dropping their triggers.
        migrations.RunPython(drop_sort_key_triggers, create_sort_key_triggers),
        migrations.AlterModelOptions(
            name='program',
            options={'ordering': ['title_en'], 'verbose_name': 'program', 'verbose_name_plural': 'programs'},
        ),
        migrations.AddField(
            model_name='organisation',
            name='authors',
            field=models.JSONField(blank=True, db_default=models.Value([], output_field=models.JSONField()), default=list, editable=False, help_text='Staff accounts (ids) that changed the content since it was last published.', verbose_name='changed since publication by'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='lock_version',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='version'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='publication_state',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn')], default='draft', max_length=16, verbose_name='publication state'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='published_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='published at'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='revised_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a reviewed correction last changed this published record.', null=True, verbose_name='revised at'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='revision_of',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='A proposed correction of a published record, applied when published.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='programs.organisation', verbose_name='correction of'),
        ),
        migrations.AddField(
            model_name='program',
            name='authors',
            field=models.JSONField(blank=True, db_default=models.Value([], output_field=models.JSONField()), default=list, editable=False, help_text='Staff accounts (ids) that changed the content since it was last published.', verbose_name='changed since publication by'),
        ),
        migrations.AddField(
            model_name='program',
            name='revised_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a reviewed correction last changed this published record.', null=True, verbose_name='revised at'),
        ),
        migrations.AddField(
            model_name='program',
            name='revision_of',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='A proposed correction of a published record, applied when published.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='programs.program', verbose_name='correction of'),
        ),
        migrations.AddConstraint(
            model_name='organisation',
            constraint=models.UniqueConstraint(condition=models.Q(('revision_of__isnull', False)), fields=('revision_of',), name='organisation_one_open_correction', violation_error_message='This record already has a correction in progress.'),
        ),
        migrations.AddConstraint(
            model_name='organisation',
            constraint=models.CheckConstraint(condition=models.Q(('revision_of__isnull', True), models.Q(('publication_state', 'published'), _negated=True), _connector='OR'), name='organisation_correction_never_published_itself', violation_error_message='A correction is published by applying it to the record it corrects.'),
        ),
        migrations.AddConstraint(
            model_name='program',
            constraint=models.UniqueConstraint(condition=models.Q(('revision_of__isnull', False)), fields=('revision_of',), name='program_one_open_correction', violation_error_message='This record already has a correction in progress.'),
        ),
        migrations.AddConstraint(
            model_name='program',
            constraint=models.CheckConstraint(condition=models.Q(('revision_of__isnull', True), models.Q(('publication_state', 'published'), _negated=True), _connector='OR'), name='program_correction_never_published_itself', violation_error_message='A correction is published by applying it to the record it corrects.'),
        ),
        migrations.RunPython(publish_existing_organisations, migrations.RunPython.noop),
        migrations.RunPython(roles_without_permissions, migrations.RunPython.noop),
        migrations.RunPython(create_sort_key_triggers, drop_sort_key_triggers),
    ]
