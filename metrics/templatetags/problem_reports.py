"""What a public page shows of the problems readers reported with its record."""

from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from metrics.models import ProblemReport
from metrics.models.reports import report_kind
from metrics.page_cache import remembered

register = template.Library()


@register.simple_tag
def problem_reports_of(record) -> dict:
    """
    The record's answered reports (one query, however many) and the
    address of its "Report a problem" form, for includes/problem_reports.html.
    """
    kind = report_kind(record)
    content_type = ContentType.objects.get_for_model(record)
    answered = []
    if (content_type.pk, record.pk) in answered_records():
        answered = list(ProblemReport.objects.public_for(record))
    return {
        "kind": kind,
        "url": reverse("metrics:report-problem", kwargs={"kind": kind, "pk": record.pk}),
        "answered": answered,
    }


def answered_records() -> set[tuple[int, int]]:
    """
    The records (content type, id) with an answered report: read once per
    content version, which an answer moves, for every page; few records
    have one.
    """
    return remembered(
        "answered-reports",
        lambda: set(
            ProblemReport.objects.answered()
            .values_list("content_type_id", "object_id")
            .order_by()
            .distinct()
        ),
    )
