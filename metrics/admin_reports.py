"""
The staff screen of problems the public reports with figures and programs
(metrics.models.reports), and their section of the Data quality page.

Who may read, answer and delete them is the policy's answer
(metrics.workflow.policy: every role reads those of its regions,
reviewers answer, superusers alone delete). The reader's words and
address are read-only; status and answers are audited like every other
staff change (django-reversion, through AuditedAdmin).
"""

from django.contrib import admin
from django.db.models import prefetch_related_objects
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from metrics.admin_mixins import AuditedAdmin
from metrics.models import ProblemReport
from metrics.models.reports import record_prefetch
from metrics.workflow import policy
from metrics.workflow.policy import Step

# The Data quality page lists every open report (up to this many) and the
# latest settled ones.
SHOWN_OPEN = 200
SHOWN_SETTLED = 20


def record_admin_url(record, site_name: str = "admin") -> str | None:
    """The staff page of a reported record, or None when it is gone."""
    if record is None:
        return None
    opts = record._meta
    try:
        return reverse(f"{site_name}:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    except NoReverseMatch:
        return None


@admin.register(ProblemReport)
class ProblemReportAdmin(AuditedAdmin):
    """
    Reports from the public: staff set the status and the public answer in
    English and Chinese; when an answer is first given or changed, who
    gave it and when are noted on save.
    """

    list_display = ["created_at", "record_link", "status", "is_answered", "answered_at"]
    list_filter = ["status"]
    list_display_links = ["created_at"]
    sortable_by = ["created_at"]
    readonly_fields = [
        "record_link",
        "public_link",
        "created_at",
        "language",
        "description",
        "email",
        "answered_at",
        "answered_by",
    ]
    fieldsets = [
        (
            _("The report, as the reader sent it"),
            {
                "fields": [
                    "record_link",
                    "public_link",
                    "created_at",
                    "language",
                    "description",
                    "email",
                ]
            },
        ),
        (
            _("Handling"),
            {
                "fields": ["status", "answer_en", "answer_zh", "answered_at", "answered_by"],
                "description": _(
                    "The status and the answer are shown on the record's public page once an "
                    "answer is given, with the date of the report; the reader's words and "
                    "e-mail address never are."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_records().select_related("answered_by")

    def scope_queryset(self, queryset, scope):
        return queryset.within(scope)

    @admin.display(description=_("record"))
    def record_link(self, obj):
        record = obj.record
        if record is None:
            return _("(deleted)")
        url = record_admin_url(record, self.admin_site.name)
        label = f"{record._meta.verbose_name.capitalize()}: {record}"
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description=_("public page"))
    def public_link(self, obj):
        if obj.record is None or not obj.record_is_public():
            return _("Not public now")
        url = obj.record.get_absolute_url()
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=_("answered publicly"), boolean=True)
    def is_answered(self, obj):
        return obj.is_answered

    def save_model(self, request, obj, form, change):
        policy.check(request.user, Step.EDIT, obj)
        previous = ProblemReport.objects.get(pk=obj.pk) if change else None
        obj.note_answer(previous=previous, user=request.user)
        super().save_model(request, obj, form, change)

    def quality_section(self, request) -> dict | None:
        """
        The Data quality page's "Reports from the public", within the
        user's regions: open reports first, then the latest settled ones,
        with counts. A fixed number of queries, however many reports.
        """
        if not self.has_view_permission(request):
            return None
        reports = super().get_queryset(request)
        counts = reports.counts()
        # The longest waiting first; then what was settled last.
        open_reports = list(reports.open().order_by("created_at", "pk")[:SHOWN_OPEN])
        settled = list(reports.settled().order_by("-created_at", "-pk")[:SHOWN_SETTLED])
        prefetch_related_objects([*open_reports, *settled], record_prefetch())
        site = self.admin_site.name
        rows = [
            {
                "report": report,
                "record": report.record,
                "record_admin_url": record_admin_url(report.record, site),
                "record_public_url": (
                    report.record.get_absolute_url() if report.record_is_public() else None
                ),
                "change_url": reverse(f"{site}:metrics_problemreport_change", args=[report.pk]),
            }
            for report in [*open_reports, *settled]
        ]
        return {
            "open": rows[: len(open_reports)],
            "settled": rows[len(open_reports) :],
            "open_count": counts["open"],
            "settled_count": counts["settled"],
            "changelist_url": reverse(f"{site}:metrics_problemreport_changelist"),
        }
