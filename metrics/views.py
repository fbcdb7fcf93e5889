"""Public, read-only pages of metrics and regions: published records only."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from metrics.charts import MAX_SERIES, observation_chart
from metrics.exports import StreamedQuerysetData, TableExportMixin
from metrics.filters import MetricFilter, ObservationFilter
from metrics.models import (
    Metric,
    Observation,
    attach_comparisons,
    rules_involving,
    violation_messages,
    violations_by_observation,
)
from metrics.pagination import CappedPaginator
from metrics.tables import DEFAULT_PER_PAGE, MetricTable, ObservationTable


class MetricListView(SingleTableMixin, FilterView):
    table_class = MetricTable
    filterset_class = MetricFilter
    template_name = "metrics/metric_list.html"
    table_pagination = {"per_page": DEFAULT_PER_PAGE, "paginator_class": CappedPaginator}

    def get_queryset(self):
        return Metric.objects.for_public_list()


class MetricDetailView(SingleTableMixin, FilterView):
    """A metric's definition, a chart of its series and its published figures."""

    table_class = ObservationTable
    filterset_class = ObservationFilter
    template_name = "metrics/metric_detail.html"
    table_pagination = {"per_page": DEFAULT_PER_PAGE, "paginator_class": CappedPaginator}

    def dispatch(self, request, *args, **kwargs):
        self.metric = get_object_or_404(
            Metric.objects.with_published_data().select_related("source"), slug=kwargs["slug"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.metric.observations.published().for_list()

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        shown = attach_comparisons(row.record for row in table.paginated_rows)
        table.violations = violations_by_observation(shown)
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["metric"] = self.metric
        context["chart"] = self.chart(self.object_list)
        return context

    def chart(self, observations):
        """Series of up to MAX_SERIES regions: the top of the filtered tree first."""
        region_ids = list(
            observations.order_by("region__path")
            .values_list("region_id", flat=True)
            .distinct()[:MAX_SERIES]
        )
        series = (
            observations.filter(region_id__in=region_ids)
            .select_related("region")
            .order_by("period_end")
        )
        return observation_chart(
            self.metric, series, title=_("%(metric)s over time") % {"metric": self.metric.name}
        )


class MetricExportView(TableExportMixin, MetricDetailView):
    """The figures the metric page shows, filtered and sorted alike, as CSV."""

    def get_export_filename(self):
        return f"{self.metric.slug}-observations"

    def get_export_data(self, queryset):
        return StreamedQuerysetData(queryset, prepare=attach_comparisons)

    def get_table_kwargs(self):
        # Only the violating figures are kept in memory, not the whole export.
        return {
            "violations": violation_messages(
                Observation.objects.published(), rules=rules_involving(self.metric)
            )
        }
