"""Public, read-only pages of programs and regions, and the home page: published only."""

from datetime import date

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from metrics.charts import ChartFigure, Marker, observation_chart
from metrics.exports import TableExportMixin
from metrics.figures import FigureMixin, figure_query
from metrics.maps import count_map, figure_map, region_to_map
from metrics.models import (
    Metric,
    Observation,
    PublishedVersion,
    Region,
    Source,
    attach_comparisons,
    attach_violations,
)
from metrics.page_cache import remembered
from metrics.pagination import PublicPaginator
from metrics.quality import open_warning_count
from metrics.tables import DEFAULT_PER_PAGE
from metrics.translation import name_order
from metrics.workflow import history
from programs.bulk import published_tables, zip_chunks
from programs.filters import ProgramFilter
from programs.models import Program
from programs.models.programs import MAP_PROGRAMS
from programs.overview import public_overview
from programs.tables import ProgramTable

HOME_PROGRAMS = 8
HOME_TREND_YEARS = 3


class HomeView(TemplateView):
    """Headline figures of the department's province, active programs and data checks."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The same for every visitor: built once per content version.
        context.update(remembered("home", home_parts))
        return context


def home_parts() -> dict:
    """
    What the home page shows: the province's latest figure of each metric
    with a drawn trend of its last years, the active programs, the metrics,
    the open warnings and the sources cited.
    """
    province = Region.objects.filter(code=settings.HOME_REGION_CODE).first()
    headlines = []
    if province is not None:
        # Each card carries the warnings its figure takes part in.
        latest = attach_violations(
            attach_comparisons(
                Observation.objects.published()
                .latest_per_metric_in(province)
                .for_list()
                .order_by("metric__category", name_order("metric__name"))
            )
        )
        # The trend of each headline covers its last years, not the whole
        # series: one range per metric, which the region's index reads.
        recent = Q()
        for observation in latest:
            end = observation.period_end
            recent |= Q(
                metric=observation.metric_id,
                period_end__gte=date(end.year - HOME_TREND_YEARS, end.month, 1),
            )
        history = Observation.objects.published().filter(recent, region=province).preferred()
        if not latest:
            history = history.none()
        by_metric = {}
        for metric_id, *fields in history.order_by("period_end").values_list(
            "metric_id", *ChartFigure.FIELDS
        ):
            by_metric.setdefault(metric_id, []).append(ChartFigure(province, *fields))
        for observation in latest:
            chart = observation_chart(
                observation.metric,
                by_metric.get(observation.metric_id, []),
                title=_("%(metric)s in %(region)s")
                % {"metric": observation.metric.name, "region": province.name},
                width=240,
                height=60,
                compact=True,
            )
            headlines.append((observation, chart.render() if chart.has_trend else ""))
    return {
        "province": province,
        "headlines": headlines,
        "active_programs": list(
            Program.objects.published()
            .currently_active()
            .select_related("lead_organisation")
            .order_by(name_order("title"))[:HOME_PROGRAMS]
        ),
        "metrics": list(Metric.objects.with_published_data()),
        "warning_count": open_warning_count(),
        "sources": list(Source.objects.cited_publicly().order_by("-published_on")),
    }


def program_map(region, programs):
    """
    The regions right below `region` coloured by how many of `programs`
    run in each, while they are no more than MAP_PROGRAMS.
    """
    return count_map(
        _("Programs in the regions of %(region)s") % {"region": region.name},
        region,
        lambda regions: programs.count_in(regions, cap=MAP_PROGRAMS),
        noun=lambda count: (
            ngettext("%(count)d program", "%(count)d programs", count) % {"count": count}
        ),
        source=_("programs published on this site"),
    )


class ProgramMapMixin:
    """The program list's map: the region filtered on (or the province), for the filters."""

    def program_map(self):
        region = region_to_map(self.filterset)
        return program_map(region, self.filterset.qs) if region is not None else None


class ProgramListView(ProgramMapMixin, SingleTableMixin, FilterView):
    table_class = ProgramTable
    filterset_class = ProgramFilter
    template_name = "programs/program_list.html"
    table_pagination = {"per_page": DEFAULT_PER_PAGE, "paginator_class": PublicPaginator}

    def get_queryset(self):
        return Program.objects.published().for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Drawn once per content version and filter (templates/programs/program_list.html).
        context["map"] = SimpleLazyObject(self.program_map)
        context["map_filters"] = filters = sorted(
            (name, self.request.GET.getlist(name)) for name in self.filterset.filters
        )
        # The map's own addresses take the filters, not the table's sort or page.
        context["figure_query"] = figure_query(filters)
        context["count_cap"] = MAP_PROGRAMS
        return context


class ProgramMapView(FigureMixin, ProgramListView):
    """The program list's map, for its filters, as SVG, PNG or an embed."""

    def get_figure(self):
        self.filterset = self.get_filterset(self.get_filterset_class())
        if self.filterset.is_bound and not self.filterset.is_valid():
            return None
        return self.program_map()

    def get_document(self, figure):
        return figure.svg(standalone=True)

    def get_figure_filename(self):
        return "programs-map"

    def get_page_url(self):
        query = self.request.GET.urlencode()
        return reverse("programs:program-list") + (f"?{query}" if query else "")


class ProgramExportView(TableExportMixin, ProgramListView):
    """Exactly the rows the list shows for the same filters and sort, as CSV or XLSX."""

    export_formats = ("csv", "xlsx")

    def get_export_filename(self):
        return "programs"


class ProgramDetailView(DetailView):
    """A program with its people, partners, activities, outcomes and sources."""

    template_name = "programs/program_detail.html"
    context_object_name = "program"

    def get_object(self, queryset=None):
        return get_object_or_404(Program.objects.published().for_detail(), slug=self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        program = self.object
        outline = program_outline()
        activities = list(program.activities.for_public())
        markers = [Marker(activity.start_date, activity.title) for activity in activities]
        outcomes = list(program.outcomes.for_public())
        series = program.outcome_series(outcomes)
        outcome_rows = []
        for outcome in outcomes:
            observations = series.get((outcome.metric_id, outcome.region_id), [])
            latest = outcome.latest_in(observations)
            chart = observation_chart(
                outcome.metric,
                observations,
                title=_("%(metric)s in %(region)s")
                % {"metric": outcome.metric.name, "region": outcome.region.name},
                markers=markers,
                markers_label=_("Activities of this program"),
                references=outcome.chart_references(),
            )
            outcome_rows.append((outcome, latest, outcome.progress(latest), chart))
        # Every figure the page shows, marked with its warnings in one call.
        attach_violations(
            [latest for _outcome, latest, _progress, _chart in outcome_rows if latest]
            + [result for activity in activities for result in activity.results.all()]
        )
        context.update(
            ancestors=program.published_ancestors(outline),
            sub_programs=(
                program.sub_programs.published().order_by(name_order("title"))
                if program.pk in outline
                else []
            ),
            partnerships=program.partnerships.select_related("organisation").order_by(
                "organisation__name_en"
            ),
            activities=activities,
            outcome_rows=outcome_rows,
            citations=program.citations.select_related("source").order_by("source__published_on"),
            revisions=program_revisions(program),
        )
        return context


def program_outline() -> dict[int, Program]:
    """
    The programs that published sub-programs belong to (Program.objects.outline()):
    read once per content version for every program page's breadcrumb and
    sub-program list, most pages having neither.
    """
    return remembered("program-outline", Program.objects.outline)


def program_revisions(program: Program) -> list[tuple]:
    """
    The program's earlier published versions, newest first, each with what
    the next version changed: (version, [(field, earlier value, later value)]).
    """
    if program.revised_at is None:
        # Never corrected nor withdrawn and published again (metrics.workflow.steps).
        return []
    versions = list(PublishedVersion.objects.for_record(program))
    if not versions:
        return []
    later = history.snapshot(program)
    revisions = []
    for version in versions:
        revisions.append((version, history.differences(Program, version.content, later)))
        later = version.content
    return revisions


class RegionDetailView(SingleTableMixin, DetailView):
    """A region: where it sits, what lies below it, its programs and latest figures."""

    template_name = "metrics/region_detail.html"
    context_object_name = "region"
    table_class = ProgramTable

    def get_object(self, queryset=None):
        return get_object_or_404(Region.objects.select_related("parent"), code=self.kwargs["code"])

    def get_table_data(self):
        return Program.objects.published().in_region(self.object).for_list()

    def get_table(self, **kwargs):
        table = self.table_class(self.get_table_data(), **kwargs)
        table.caption = _("Programs in %(region)s and below") % {"region": self.object.name}
        RequestConfig(
            self.request,
            paginate={"per_page": DEFAULT_PER_PAGE, "paginator_class": PublicPaginator},
        ).configure(table)
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        region = self.object
        # Read only when the page's remembered part is drawn (templates/metrics/region_detail.html).
        context.update(
            ancestors=SimpleLazyObject(lambda: list(Region.objects.ancestors_of(region))),
            children=SimpleLazyObject(lambda: list(region.children.order_by("path"))),
            regions_map=SimpleLazyObject(lambda: self.map_of_regions_below(region)),
            latest_figures=SimpleLazyObject(
                lambda: attach_violations(
                    attach_comparisons(
                        Observation.objects.published()
                        .latest_per_metric_in(region)
                        .for_list()
                        .order_by("metric__category", name_order("metric__name"))
                    )
                )
            ),
        )
        return context

    def map_of_regions_below(self, region) -> dict:
        """
        One map of the regions below this one: coloured by the first metric
        (by category and name) some of them have published figures of, or
        else by how many programs run in each. The other metrics are links
        to their own maps (the metric page for this region): a page of a
        map per metric would grow with the metrics.
        """
        published = Observation.objects.published()
        mapped = list(
            Metric.objects.filter(
                Exists(published.filter(metric=OuterRef("pk"), region__parent=region))
            ).order_by("category", name_order("name"))
        )
        drawn = None
        if mapped:
            drawn = figure_map(mapped[0], region, published.filter(metric=mapped[0]))
        if not drawn:
            drawn = program_map(region, Program.objects.published())
        return {
            "map": drawn if drawn else None,
            "metric": mapped[0] if mapped and drawn and drawn.has_figures else None,
            "other_metrics": mapped[1:],
        }


class DownloadsView(TemplateView):
    """Where to get everything published at once, and the API."""

    template_name = "programs/downloads.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tables"] = published_tables()
        context["licence"] = settings.OPEN_DATA_LICENCE
        return context


def bulk_download(request):
    """Every published record as CSV tables in one zip, streamed as it is written."""
    response = StreamingHttpResponse(zip_chunks(), content_type="application/zip")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="commerce-programs-open-data-{stamp}.zip"'
    )
    return response


class OverviewView(TemplateView):
    """
    The overview for leadership, published records only: programs by kind,
    status and region, every outcome's standing with the rule that judges
    it, and figures overdue by region; every number links to its records.
    """

    template_name = "programs/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            public_overview(
                today=timezone.localdate(),
                standing=self.request.GET.get("standing", ""),
                page=self.request.GET.get("page"),
            )
        )
        return context
