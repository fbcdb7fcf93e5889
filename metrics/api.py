"""
The open-data API for regions, metrics, observations and sources.

Read-only and published-only, like the public pages; filters match the
public tables. Django REST framework with drf-spectacular: both mature,
and together they give filters from django-filter, cursor pagination,
throttling with Retry-After, and an OpenAPI 3 schema generated from the
same serializers that answer requests.
"""

import django_filters
from django.db.models import F
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

from metrics.filters import RegionFilter, YearFilter
from metrics.models import Metric, Observation, Region, Source
from metrics.page_cache import cache_public_page, remembered_records
from metrics.pagination import PublicPaginator
from metrics.periods import PeriodType
from metrics.serializers import (
    MetricSerializer,
    ObservationSerializer,
    RegionSerializer,
    SourceSerializer,
)


class StrictPageSizeMixin:
    """A page size that is not a whole number in range is an error, not silently ignored."""

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            elif parameter["name"] == getattr(self, "page_query_param", None):
                parameter["schema"]["minimum"] = 1
        return parameters


class PublicPagination(StrictPageSizeMixin, PageNumberPagination):
    django_paginator_class = PublicPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ObservationCursorPagination(StrictPageSizeMixin, CursorPagination):
    """Stable pages through millions of figures: no offsets, no counts."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-period_end", "-id")


class RegionApiFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Region.Level.choices)
    within = RegionFilter(
        label=_("Region and everything below it (code)"),
        in_region=lambda qs, region: qs.in_region(region),
        unknown_matches_nothing=True,
    )

    class Meta:
        model = Region
        fields = ["level", "within"]


class ObservationApiFilter(django_filters.FilterSet):
    metric = django_filters.CharFilter(field_name="metric__slug", label=_("Metric identifier"))
    region = RegionFilter(
        label=_("Region code; includes every region below it"),
        in_region=lambda qs, region: qs.in_region(region),
        unknown_matches_nothing=True,
    )
    period_type = django_filters.ChoiceFilter(choices=PeriodType.choices)
    year = YearFilter(field_name="period_end__year")
    period_from = django_filters.DateFilter(
        field_name="period_end", lookup_expr="gte", label=_("Periods ending on or after")
    )
    period_to = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label=_("Periods starting on or before")
    )

    class Meta:
        model = Observation
        fields = ["metric", "region", "period_type", "year", "period_from", "period_to"]


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    """
    Published records, read-only. Answers are served from the page cache
    while the database is unchanged, like the public pages; the rate limit
    runs before (DRF's initial()), so cached answers still count against it.
    """

    # Any identifier reaches the view, so a malformed one gets the API's JSON 404.
    lookup_value_regex = r"[^/]+"

    @method_decorator(cache_public_page)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @method_decorator(cache_public_page)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class RememberedRecordsViewSet(PublicViewSet):
    """
    A list whose records are costly to draw (each carries its related
    records): a page reads its records' primary keys, and each record is
    serialized once per content version and then shared by every page that
    lists it, whatever its filters, size or position.
    """

    @method_decorator(cache_public_page)
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        pks = self.paginate_queryset(queryset.prefetch_related(None).values_list("pk", flat=True))
        records = remembered_records(
            self.get_serializer_class().__qualname__, pks, self.serialize_records
        )
        return self.get_paginated_response(records)

    def serialize_records(self, pks) -> dict:
        """The records with these primary keys, as the list shows them, by primary key."""
        records = list(self.get_queryset().filter(pk__in=pks))
        shown = self.get_serializer(records, many=True).data
        return {record.pk: fields for record, fields in zip(records, shown, strict=True)}


class RegionViewSet(PublicViewSet):
    """Administrative divisions with their GB/T 2260 codes."""

    queryset = Region.objects.select_related("parent").order_by("path")
    serializer_class = RegionSerializer
    filterset_class = RegionApiFilter
    pagination_class = PublicPagination
    lookup_field = "code"


class MetricViewSet(PublicViewSet):
    """Indicators that have published figures."""

    queryset = Metric.objects.with_published_data().select_related("source").order_by("slug")
    serializer_class = MetricSerializer
    pagination_class = PublicPagination
    filterset_fields = ["category", "frequency", "unit"]
    lookup_field = "slug"


class ObservationViewSet(PublicViewSet):
    """Published figures, newest period first, each with its source sentence."""

    queryset = (
        Observation.objects.published()
        # A figure names its metric, region and source by identifier: read
        # through the same joins as columns of the figure's row
        # (metrics.serializers.AnnotatedSlugRelatedField), not as three
        # records built per row; nor is its workflow bookkeeping read.
        .annotate(
            metric_slug=F("metric__slug"),
            region_code=F("region__code"),
            source_slug=F("source__slug"),
        )
        .defer("authors", "lock_version")
        .prefetch_related(Observation.revisions_prefetch())
    )
    serializer_class = ObservationSerializer
    filterset_class = ObservationApiFilter
    pagination_class = ObservationCursorPagination


class SourceViewSet(PublicViewSet):
    """Publications that published figures or programs cite."""

    queryset = Source.objects.cited_publicly().order_by("slug")
    serializer_class = SourceSerializer
    pagination_class = PublicPagination
    lookup_field = "slug"
