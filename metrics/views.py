"""Public, read-only pages of metrics and regions: published records only."""

from datetime import date
from functools import cache

from django.db.models import Exists, Max, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from metrics.charts import MAX_SERIES, chart_figures, observation_chart
from metrics.exports import StreamedQuerysetData, TableExportMixin
from metrics.figures import FigureMixin, figure_query
from metrics.filters import MetricFilter, ObservationFilter
from metrics.maps import credit_line, figure_map, region_to_map
from metrics.models import (
    Metric,
    Observation,
    ProblemReport,
    PublishedVersion,
    Region,
    Source,
    attach_comparisons,
    national_comparison,
    rules_involving,
    violation_messages,
    violations_by_observation,
    violations_involving,
)
from metrics.models.reports import published_record
from metrics.page_cache import remembered
from metrics.pagination import PublicPaginator
from metrics.quality import public_warnings
from metrics.reports import (
    ProblemReportForm,
    draw_token,
    over_budget_message,
    seconds_over_report_budget,
)
from metrics.tables import DEFAULT_PER_PAGE, MetricTable, ObservationTable
from metrics.translation import name_order

# The chart follows the latest years of the chosen figures: a whole history
# of monthly figures grows without bound and would not fit the chart's width.
# A year filter charts that year.
CHART_YEARS = 5


@cache
def public_metrics():
    """
    Metrics with published figures, with their source: built once, as its
    shape never changes (an EXISTS subquery a metric page built on every
    request). Callers take a copy (.all()), never the kept queryset.
    """
    return Metric.objects.with_published_data().select_related("source")


class MetricListView(SingleTableMixin, FilterView):
    table_class = MetricTable
    filterset_class = MetricFilter
    template_name = "metrics/metric_list.html"
    table_pagination = {"per_page": DEFAULT_PER_PAGE, "paginator_class": PublicPaginator}

    def get_queryset(self):
        return Metric.objects.for_public_list()


class MetricDetailView(SingleTableMixin, FilterView):
    """A metric's definition, a chart of its series and its published figures."""

    table_class = ObservationTable
    filterset_class = ObservationFilter
    template_name = "metrics/metric_detail.html"
    table_pagination = {"per_page": DEFAULT_PER_PAGE, "paginator_class": PublicPaginator}

    def dispatch(self, request, *args, **kwargs):
        self.metric = get_object_or_404(public_metrics().all(), slug=kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # Each figure is of the page's metric, which the related manager gives
        # every row (known related objects): no join and no copy per row.
        return (
            self.metric.observations.published()
            .for_list()
            .select_related(None)
            .select_related("region", "source")
            # Workflow bookkeeping and the source's notes: no column shows them.
            .defer("authors", "lock_version", "source__authors", "source__notes")
        )

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        shown = attach_comparisons(row.record for row in table.paginated_rows)
        table.violations = violations_by_observation(shown)
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["metric"] = self.metric
        # Drawn once per content version and filter (templates/metrics/metric_detail.html):
        # every sort and page of the table shares it.
        observations = self.object_list
        context["chart"] = SimpleLazyObject(lambda: self.chart(observations))
        context["chart_filters"] = sorted(
            (name, self.request.GET.getlist(name)) for name in self.filterset.filters
        )
        context["chart_years"] = CHART_YEARS
        # The chart's and map's own addresses take the filters, not the table's sort or page.
        context["figure_query"] = figure_query(context["chart_filters"])
        context["map"] = SimpleLazyObject(lambda: self.map(observations))
        return context

    def map(self, observations):
        """The regions below the map's region coloured by their latest figures of this metric."""
        region = region_to_map(self.filterset)
        return figure_map(self.metric, region, observations) if region is not None else None

    def chart(self, observations):
        """
        Series of up to MAX_SERIES regions, the top of the filtered tree
        first, over the last CHART_YEARS calendar years of their figures.
        """
        if latest := observations.aggregate(latest=Max("period_end"))["latest"]:
            observations = observations.filter(
                period_end__gte=date(latest.year - CHART_YEARS + 1, 1, 1)
            )
        # One index probe per region in tree order, stopping at MAX_SERIES,
        # rather than reading every figure of the metric for its regions.
        region_ids = list(
            Region.objects.filter(Exists(observations.filter(region=OuterRef("pk"))))
            .order_by("path")
            .values_list("pk", flat=True)[:MAX_SERIES]
        )
        # Up to MAX_SERIES regions, each read once rather than once per figure.
        series = chart_figures(
            observations.filter(region_id__in=region_ids)
            .select_related(None)
            .order_by("period_end")
        )
        return observation_chart(
            self.metric, series, title=_("%(metric)s over time") % {"metric": self.metric.name}
        )


class MetricFigureView(FigureMixin, MetricDetailView):
    """The metric page's chart or map (`kind`), for its filters, as SVG, PNG or an embed."""

    def get_figure(self):
        self.filterset = self.get_filterset(self.get_filterset_class())
        if self.filterset.is_bound and not self.filterset.is_valid():
            return None
        observations = self.filterset.qs
        if self.kwargs["kind"] == "chart":
            return self.chart(observations)
        return self.map(observations)

    def get_document(self, figure):
        if self.kwargs["kind"] == "map":
            return figure.svg(standalone=True) if figure.has_figures else ""
        sources = Source.objects.filter(
            pk__in=self.filterset.qs.order_by().values("source")
        ).order_by(name_order("title"))
        return figure.document(credit=credit_line(sources))

    def get_figure_filename(self):
        return f"{self.metric.slug}-{self.kwargs['kind']}"

    def get_page_url(self):
        query = self.request.GET.urlencode()
        return self.metric.get_absolute_url() + (f"?{query}" if query else "")


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


class ObservationDetailView(DetailView):
    """
    One published figure with its source sentence and its revision history:
    the values it had before reviewed corrections replaced them.
    """

    template_name = "metrics/observation_detail.html"
    context_object_name = "observation"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Observation.objects.published().select_related("metric", "region", "source"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        observation = self.object
        context["earlier"] = [
            (version, observation.as_published_in(version.content))
            for version in PublishedVersion.objects.for_record(observation)
        ]
        # Each with the other figures it involves, linked (all published: a page reads no other).
        context["violations"] = violations_involving([observation]).get(observation.pk, [])
        context["comparison"] = national_comparison(observation)
        return context


class ReportedRecordMixin:
    """A published figure or program named by the address (`kind`, `pk`); anything else is 404."""

    def dispatch(self, request, *args, **kwargs):
        self.record = published_record(kwargs["kind"], kwargs["pk"])
        if self.record is None:
            raise Http404(_("No published figure or program has this address."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        # A TemplateView passes the address's `kind` and `pk` in already.
        return {
            **super().get_context_data(**kwargs),
            "record": self.record,
            "kind": self.kwargs["kind"],
        }


class ProblemReportView(ReportedRecordMixin, FormView):
    """
    "Report a problem" with a published record: a plain form, no account,
    no session. A refused submission comes back with its error (400, or
    429 past the client's report budget) and writes nothing; an accepted
    one is kept and the reader is sent to a thank-you page.
    """

    template_name = "metrics/problem_report_form.html"
    form_class = ProblemReportForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "kind": self.kwargs["kind"], "pk": self.record.pk}

    def get_context_data(self, **kwargs):
        # A new signed time on every drawing: a refused form can be sent again.
        return super().get_context_data(
            drawn=draw_token(self.kwargs["kind"], self.record.pk), **kwargs
        )

    def post(self, request, *args, **kwargs):
        if (wait := seconds_over_report_budget(request)) is not None:
            context = self.get_context_data(form=self.get_form(), refusal=over_budget_message(wait))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        ProblemReport.objects.submit(
            record=self.record,
            description=form.cleaned_data["description"],
            email=form.cleaned_data["email"],
            language=get_language(),
        )
        return redirect("metrics:report-thanks", kind=self.kwargs["kind"], pk=self.record.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ProblemReportThanksView(ReportedRecordMixin, TemplateView):
    """Where a sent report leads: the same for everyone, so it needs no session."""

    template_name = "metrics/problem_report_thanks.html"


class DataQualityView(TemplateView):
    """
    The open data-quality warnings on published figures: each rule's
    violations with their messages, and the reported changes that disagree
    with the levels, every figure involved linked to its page.
    """

    template_name = "metrics/data_quality.html"

    def get_context_data(self, **kwargs):
        # Checking every published figure takes seconds on a large site: done
        # once per content version for every address of the page, not once
        # per address (a made-up query string would otherwise start it again).
        return {**super().get_context_data(**kwargs), **remembered("data-quality", public_warnings)}
