"""
Problem reports from the public on published figures and programs.

Numbered 0017 on purpose: 0015 and 0016 come from another branch, and the
dependency is rewired when the branches meet.

The content version (metrics.content_version) moves for a report only
when the row, before or after the change, carries a public answer: what
the record's public page shows. A reader's new report has none, so the
public's one write never empties the page cache; a staff answer, a change
to an answered report (its status, its answer) or its deletion always does.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from metrics.content_version import REPORT_TABLES, create_triggers, drop_triggers


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ("metrics", "0016_rule_vocabulary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProblemReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_id', models.PositiveBigIntegerField()),
                ('description', models.TextField(help_text='As the reader wrote it; never shown publicly.', max_length=2000, verbose_name='what looks wrong')),
                ('email', models.EmailField(blank=True, help_text='Given by the reader for an answer; never shown publicly.', max_length=254, verbose_name='e-mail address for an answer')),
                ('language', models.CharField(choices=[('en', 'English'), ('zh-hans', 'Simplified Chinese')], max_length=16, verbose_name='language of the page')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='reported at')),
                ('status', models.CharField(choices=[('new', 'New'), ('confirmed', 'Confirmed'), ('corrected', 'Corrected'), ('not_a_problem', 'Not a problem')], default='new', max_length=16, verbose_name='status')),
                ('answer_en', models.TextField(blank=True, help_text="Shown on the record's public page with the status, once given.", verbose_name='public answer (English)')),
                ('answer_zh', models.TextField(blank=True, verbose_name='public answer (Chinese)')),
                ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='answered at')),
                ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='answered_problem_reports', to=settings.AUTH_USER_MODEL, verbose_name='answered by')),
                ('content_type', models.ForeignKey(limit_choices_to=models.Q(models.Q(('app_label', 'metrics'), ('model', 'observation')), models.Q(('app_label', 'programs'), ('model', 'program')), _connector='OR'), on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype', verbose_name='kind of record')),
            ],
            options={
                'verbose_name': 'problem report',
                'verbose_name_plural': 'problem reports',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['content_type', 'object_id', 'created_at'], name='problemreport_record'), models.Index(fields=['status', 'created_at'], name='problemreport_status')],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['new', 'confirmed', 'corrected', 'not_a_problem'])), name='problemreport_status_known', violation_error_message='Unknown status.'), models.CheckConstraint(condition=models.Q(models.Q(models.Q(('answer_en', ''), _negated=True), models.Q(('answer_zh', ''), _negated=True), _connector='OR', _negated=True), ('answered_at__isnull', False), _connector='OR'), name='problemreport_answer_has_date', violation_error_message='A public answer needs the date it was given.')],
            },
        ),
        migrations.RunPython(create_triggers(REPORT_TABLES), drop_triggers(REPORT_TABLES)),
    ]
