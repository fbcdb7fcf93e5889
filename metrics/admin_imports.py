"""
Release imports in the admin: upload a file, watch its check, read its
problems, confirm the import, watch it run. The work runs in the
background (metrics.tasks); every request here returns at once.
"""

import csv
import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from metrics import imports
from metrics.admin_keys import CheckedKeysMixin
from metrics.admin_mixins import StrictLookupsMixin
from metrics.models import ImportJob
from metrics.releases import CHINESE_HEADERS, COLUMN_HELP, COLUMNS
from metrics.workflow import policy
from metrics.workflow.policy import Step

PROBLEMS_SHOWN = 200
TEMPLATE_ROWS = [
    [
        "141000",
        "online-retail-sales",
        "2021年1-6月",
        "107.7",
        "亿元",
        "23.7",
        "",
        "chinadaily-2020-07-28-shanxi-livestreaming",
        "…",
    ],
    ["Linfen", "Sales through livestreaming campaigns", "2021-05-01/2021-05-10", "超过3000万元"]
    + ["", "", "", "", ""],
]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Release file"),
        help_text=_("CSV (UTF-8 or GB18030, as Excel saves it) or Excel (.xlsx)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if not uploaded.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."), code="format")
        limit = settings.IMPORT_MAX_UPLOAD_MB
        if uploaded.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                _(
                    "The file is %(size)s MB; files of up to %(limit)d MB are accepted "
                    "(IMPORT_MAX_UPLOAD_MB). Split the release into several files."
                )
                % {"size": number_format(uploaded.size / 1024 / 1024, 1), "limit": limit},
                code="too_large",
            )
        return uploaded


@admin.register(ImportJob)
class ImportJobAdmin(CheckedKeysMixin, StrictLookupsMixin, admin.ModelAdmin):
    """Each upload, its progress and its outcome; the jobs are the record of every import."""

    list_display = [
        "file_name",
        "created_by",
        "created_at",
        "state_badge",
        "rows_read",
        "rows_invalid",
        "rows_new",
        "rows_changed",
    ]
    list_filter = ["state"]
    list_select_related = ["created_by"]
    search_fields = ["file_name", "checksum"]
    show_full_result_count = False

    # Who may see and start imports: whoever may enter figures (the policy).

    def has_module_permission(self, request):
        return policy.can(request.user, Step.VIEW, model=ImportJob)

    def has_view_permission(self, request, obj=None):
        return policy.can(request.user, Step.VIEW, model=ImportJob)

    def has_add_permission(self, request):
        return policy.can(request.user, Step.CREATE, model=ImportJob)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        jobs = super().get_queryset(request)
        return jobs if request.user.is_superuser else jobs.filter(created_by=request.user)

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, job):
        return format_html(
            '<span class="import-state import-state-{}">{}</span>',
            job.state,
            job.get_state_display(),
        )

    # Views ------------------------------------------------------------------------------

    def get_urls(self):
        def view(suffix, function, name):
            wrapped = self.admin_site.admin_view(function)
            return path(suffix, wrapped, name=f"metrics_importjob_{name}")

        return [
            view("template/<str:kind>/", self.template_view, "template"),
            view("<path:object_id>/status.json", self.status_view, "status"),
            view("<path:object_id>/confirm/", self.confirm_view, "confirm"),
            view("<path:object_id>/cancel/", self.cancel_view, "cancel"),
            view("<path:object_id>/retry/", self.retry_view, "retry"),
            view("<path:object_id>/problems.csv", self.problems_view, "problems"),
            *super().get_urls(),
        ]

    def _job(self, request, object_id) -> ImportJob:
        # Jobs that stopped without a word are marked failed before anyone reads them.
        imports.fail_stalled_jobs()
        object_id = str(unquote(object_id))
        job = (
            self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        )
        if job is None:
            raise Http404(gettext("No such import."))
        return job

    def _context(self, request, **context):
        opts = self.model._meta
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "has_view_permission": True,
            **context,
        }

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = imports.start_job(uploaded=form.cleaned_data["file"], user=request.user)
            self.message_user(
                request,
                gettext("%(file)s is uploaded; its check runs in the background.")
                % {"file": job.file_name},
                messages.INFO,
            )
            return HttpResponseRedirect(job.get_absolute_url())
        context = self._context(
            request,
            title=gettext("Import a statistics release"),
            form=form,
            columns=[
                (column, CHINESE_HEADERS[column], meaning, example)
                for column, meaning, example in COLUMN_HELP
            ],
            limit=settings.IMPORT_MAX_UPLOAD_MB,
        )
        return TemplateResponse(request, "admin/metrics/importjob/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        mine = job.created_by_id == request.user.pk
        context = self._context(
            request,
            title=gettext("Release import: %(file)s") % {"file": job.file_name},
            job=job,
            original=job,
            problems=job.problems.select_related("job")[:PROBLEMS_SHOWN],
            more_problems=job.problems.count() > PROBLEMS_SHOWN,
            can_confirm=mine and job.state == ImportJob.State.CHECKED and not job.rows_invalid,
            can_cancel=(mine or request.user.is_superuser)
            and job.state in (*ImportJob.RUNNING, ImportJob.State.CHECKED),
            can_retry=mine and job.state == ImportJob.State.FAILED,
        )
        return TemplateResponse(request, "admin/metrics/importjob/progress.html", context)

    def status_view(self, request, object_id):
        """The progress as JSON, for the page's script (the page also refreshes without it)."""
        job = self._job(request, object_id)
        return JsonResponse(
            {
                "state": job.state,
                "state_label": job.get_state_display(),
                "running": job.is_running,
                "percent": job.percent,
                "rows_read": job.rows_read,
                "rows_invalid": job.rows_invalid,
                "rows_new": job.rows_new,
                "rows_changed": job.rows_changed,
                "rows_unchanged": job.rows_unchanged,
                "seconds_left": job.seconds_left,
            }
        )

    def _act(self, request, object_id, action, *, allowed, done, refused):
        if request.method != "POST":
            raise PermissionDenied
        job = self._job(request, object_id)
        if not allowed(job):
            raise PermissionDenied
        if action(job):
            self.message_user(request, done, messages.SUCCESS)
        else:
            self.message_user(request, refused, messages.ERROR)
        return HttpResponseRedirect(job.get_absolute_url())

    def confirm_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            lambda job: imports.confirm(job, user=request.user),
            allowed=lambda job: job.created_by_id == request.user.pk,
            done=gettext("The import is queued; it runs in the background."),
            refused=gettext("This release is not checked and valid (any more): nothing queued."),
        )

    def cancel_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            imports.cancel,
            allowed=lambda job: job.created_by_id == request.user.pk or request.user.is_superuser,
            done=gettext("Cancelled: nothing is imported."),
            refused=gettext("This job has finished; there is nothing to cancel."),
        )

    def retry_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            imports.retry,
            allowed=lambda job: job.created_by_id == request.user.pk,
            done=gettext("The file is checked again from the start."),
            refused=gettext("Only a failed job is run again."),
        )

    def problems_view(self, request, object_id):
        """Every refused row as uploaded, with a column saying what is wrong with it."""
        job = self._job(request, object_id)
        response = HttpResponse(
            "\ufeff" + imports.problems_csv(job).getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="problems-{job.pk}.csv"'
        return response

    def template_view(self, request, kind):
        """An empty release with the accepted columns and two example rows."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        fmt, _dot, language = kind.partition("-")
        headers = [CHINESE_HEADERS[c] for c in COLUMNS] if language == "zh" else list(COLUMNS)
        if fmt == "csv":
            out = io.StringIO()
            out.write("\ufeff")  # so that Excel reads it as UTF-8
            writer = csv.writer(out)
            writer.writerows([headers, *TEMPLATE_ROWS])
            content, type_ = out.getvalue().encode(), "text/csv; charset=utf-8"
        elif fmt == "xlsx":
            import tablib

            content = tablib.Dataset(*TEMPLATE_ROWS, headers=headers).export("xlsx")
            type_ = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            raise Http404(gettext("No such template."))
        response = HttpResponse(content, content_type=type_)
        name = f"release-template{'-zh' if language == 'zh' else ''}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
