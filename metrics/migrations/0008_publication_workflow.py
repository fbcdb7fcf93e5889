"""
Sources, metrics and validation rules go through review like figures:
they gain a publication state, a lock version, corrections and authors.
Those that exist are public already, so they start published. Earlier
published versions of every kind of record are kept for the public.
"""

import django.core.serializers.json
import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

from metrics.db_triggers import create_share_bounds_triggers, drop_share_bounds_triggers


def publish_existing_references(apps, schema_editor):
    now = timezone.now()
    for name in ("Source", "Metric", "ValidationRule"):
        apps.get_model("metrics", name).objects.update(
            publication_state="published", published_at=now
        )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('metrics', '0007_quality_check'),
    ]

    operations = [
        # SQLite rebuilds the observation and metric tables below, which drops their triggers.
        migrations.RunPython(drop_share_bounds_triggers, create_share_bounds_triggers),
        migrations.CreateModel(
            name='PublishedVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_id', models.PositiveBigIntegerField()),
                ('content', models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder, help_text='The published fields and parts, as the public saw them.', verbose_name='content as published')),
                ('published_at', models.DateTimeField(null=True, verbose_name='public from')),
                ('replaced_at', models.DateTimeField(verbose_name='replaced at')),
                ('reason', models.CharField(choices=[('corrected', 'Corrected'), ('withdrawn', 'Withdrawn')], max_length=16, verbose_name='reason')),
                ('note', models.TextField(blank=True, verbose_name='note')),
            ],
            options={
                'verbose_name': 'earlier published version',
                'verbose_name_plural': 'earlier published versions',
                'ordering': ['-replaced_at', '-pk'],
            },
        ),
        migrations.AlterModelOptions(
            name='observation',
            options={'ordering': ['-period_end', '-id'], 'verbose_name': 'observation', 'verbose_name_plural': 'observations'},
        ),
        migrations.AddField(
            model_name='metric',
            name='authors',
            field=models.JSONField(blank=True, db_default=models.Value([], output_field=models.JSONField()), default=list, editable=False, help_text='Staff accounts (ids) that changed the content since it was last published.', verbose_name='changed since publication by'),
        ),
        migrations.AddField(
            model_name='metric',
            name='lock_version',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='version'),
        ),
        migrations.AddField(
            model_name='metric',
            name='publication_state',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn')], default='draft', max_length=16, verbose_name='publication state'),
        ),
        migrations.AddField(
            model_name='metric',
            name='published_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='published at'),
        ),
        migrations.AddField(
            model_name='metric',
            name='revised_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a reviewed correction last changed this published record.', null=True, verbose_name='revised at'),
        ),
        migrations.AddField(
            model_name='metric',
            name='revision_of',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='A proposed correction of a published record, applied when published.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='metrics.metric', verbose_name='correction of'),
        ),
        migrations.AddField(
            model_name='observation',
            name='authors',
            field=models.JSONField(blank=True, db_default=models.Value([], output_field=models.JSONField()), default=list, editable=False, help_text='Staff accounts (ids) that changed the content since it was last published.', verbose_name='changed since publication by'),
        ),
        migrations.AddField(
            model_name='source',
            name='authors',
            field=models.JSONField(blank=True, db_default=models.Value([], output_field=models.JSONField()), default=list, editable=False, help_text='Staff accounts (ids) that changed the content since it was last published.', verbose_name='changed since publication by'),
        ),
        migrations.AddField(
            model_name='source',
            name='lock_version',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='version'),
        ),
        migrations.AddField(
            model_name='source',
            name='publication_state',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn')], default='draft', max_length=16, verbose_name='publication state'),
        ),
        migrations.AddField(
            model_name='source',
            name='published_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='published at'),
        ),
        migrations.AddField(
            model_name='source',
            name='revised_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a reviewed correction last changed this published record.', null=True, verbose_name='revised at'),
        ),
        migrations.AddField(
            model_name='source',
            name='revision_of',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='A proposed correction of a published record, applied when published.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='metrics.source', verbose_name='correction of'),
        ),
        migrations.AddField(
            model_name='validationrule',
            name='authors',
            field=models.JSONField(blank=True, db_default=models.Value([], output_field=models.JSONField()), default=list, editable=False, help_text='Staff accounts (ids) that changed the content since it was last published.', verbose_name='changed since publication by'),
        ),
        migrations.AddField(
            model_name='validationrule',
            name='lock_version',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='version'),
        ),
        migrations.AddField(
            model_name='validationrule',
            name='publication_state',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn')], default='draft', max_length=16, verbose_name='publication state'),
        ),
        migrations.AddField(
            model_name='validationrule',
            name='published_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='published at'),
        ),
        migrations.AddField(
            model_name='validationrule',
            name='revised_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a reviewed correction last changed this published record.', null=True, verbose_name='revised at'),
        ),
        migrations.AddField(
            model_name='validationrule',
            name='revision_of',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='A proposed correction of a published record, applied when published.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='metrics.validationrule', verbose_name='correction of'),
        ),
        migrations.AlterField(
            model_name='observation',
            name='revised_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a reviewed correction last changed this published record.', null=True, verbose_name='revised at'),
        ),
        migrations.AlterField(
            model_name='observation',
            name='revision_of',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='A proposed correction of a published record, applied when published.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='metrics.observation', verbose_name='correction of'),
        ),
        migrations.AddConstraint(
            model_name='metric',
            constraint=models.UniqueConstraint(condition=models.Q(('revision_of__isnull', False)), fields=('revision_of',), name='metric_one_open_correction', violation_error_message='This record already has a correction in progress.'),
        ),
        migrations.AddConstraint(
            model_name='metric',
            constraint=models.CheckConstraint(condition=models.Q(('revision_of__isnull', True), models.Q(('publication_state', 'published'), _negated=True), _connector='OR'), name='metric_correction_never_published_itself', violation_error_message='A correction is published by applying it to the record it corrects.'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.UniqueConstraint(condition=models.Q(('revision_of__isnull', False)), fields=('revision_of',), name='source_one_open_correction', violation_error_message='This record already has a correction in progress.'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('revision_of__isnull', True), models.Q(('publication_state', 'published'), _negated=True), _connector='OR'), name='source_correction_never_published_itself', violation_error_message='A correction is published by applying it to the record it corrects.'),
        ),
        migrations.AddConstraint(
            model_name='validationrule',
            constraint=models.UniqueConstraint(condition=models.Q(('revision_of__isnull', False)), fields=('revision_of',), name='validationrule_one_open_correction', violation_error_message='This record already has a correction in progress.'),
        ),
        migrations.AddConstraint(
            model_name='validationrule',
            constraint=models.CheckConstraint(condition=models.Q(('revision_of__isnull', True), models.Q(('publication_state', 'published'), _negated=True), _connector='OR'), name='validationrule_correction_never_published_itself', violation_error_message='A correction is published by applying it to the record it corrects.'),
        ),
        migrations.AlterConstraint(
            model_name='observation',
            name='observation_one_open_correction',
            constraint=models.UniqueConstraint(condition=models.Q(('revision_of__isnull', False)), fields=('revision_of',), name='observation_one_open_correction', violation_error_message='This record already has a correction in progress.'),
        ),
        migrations.AlterConstraint(
            model_name='observation',
            name='observation_correction_never_published_itself',
            constraint=models.CheckConstraint(condition=models.Q(('revision_of__isnull', True), models.Q(('publication_state', 'published'), _negated=True), _connector='OR'), name='observation_correction_never_published_itself', violation_error_message='A correction is published by applying it to the record it corrects.'),
        ),
        migrations.AddField(
            model_name='publishedversion',
            name='content_type',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype'),
        ),
        migrations.AddIndex(
            model_name='publishedversion',
            index=models.Index(fields=['content_type', 'object_id', 'replaced_at'], name='publishedversion_record'),
        ),
        migrations.RunPython(publish_existing_references, migrations.RunPython.noop),
        migrations.RunPython(create_share_bounds_triggers, drop_share_bounds_triggers),
    ]
