"""What a public page shows of the problems readers reported with its record."""

from django import template
from django.urls import reverse

from metrics.models import ProblemReport
from metrics.models.reports import report_kind

register = template.Library()


@register.simple_tag
def problem_reports_of(record) -> dict:
    """
    The record's answered reports (one query, however many) and the
    address of its "Report a problem" form, for includes/problem_reports.html.
    """
    kind = report_kind(record)
    return {
        "kind": kind,
        "url": reverse("metrics:report-problem", kwargs={"kind": kind, "pk": record.pk}),
        "answered": list(ProblemReport.objects.public_for(record)),
    }
