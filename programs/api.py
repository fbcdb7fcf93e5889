"""The open-data API for programs and organisations (see metrics.api for the choices made)."""

import django_filters
from django.db.models import Exists, OuterRef, Prefetch
from django.utils.translation import gettext_lazy as _

from metrics.api import PublicPagination, PublicViewSet, RememberedRecordsViewSet
from metrics.filters import RegionFilter
from metrics.models import Observation
from metrics.tables import DEFAULT_PER_PAGE
from programs.filters import ProgramFilter
from programs.models import Activity, Organisation, Outcome, Partnership, Program, ProgramSource
from programs.serializers import OrganisationSerializer, ProgramSerializer


class ProgramApiFilter(ProgramFilter):
    """The list's filters; unknown codes and identifiers match nothing instead of erring."""

    region = RegionFilter(
        label=_("Region code; includes every region below it"),
        in_region=lambda qs, region: qs.in_region(region),
        unknown_matches_nothing=True,
    )
    partner = django_filters.CharFilter(
        label=_("Partner organisation identifier"), method="by_partner"
    )
    sector = django_filters.CharFilter(label=_("Sector identifier"), method="by_sector")

    def by_partner(self, queryset, name, value):
        return queryset.filter(
            Exists(Partnership.objects.filter(program=OuterRef("pk"), organisation__slug=value))
        )

    def by_sector(self, queryset, name, value):
        return queryset.filter(
            Exists(
                Program.sectors.through.objects.filter(program=OuterRef("pk"), sector__slug=value)
            )
        )


class ProgramPagination(PublicPagination):
    """
    A program carries its partners, outcomes, activities, sources and
    revisions: 25 to a page, as the public list shows them (page_size asks
    for up to 200).
    """

    page_size = DEFAULT_PER_PAGE


class ProgramViewSet(RememberedRecordsViewSet):
    """Published programs with their partners, outcomes, activities and sources."""

    serializer_class = ProgramSerializer
    filterset_class = ProgramApiFilter
    pagination_class = ProgramPagination
    lookup_field = "slug"

    def get_queryset(self):
        published_results = Observation.objects.published().only("pk")
        return (
            Program.objects.published()
            .select_related("parent", "lead_organisation")
            .prefetch_related(
                Prefetch("regions", to_attr="listed_regions"),
                Prefetch("sectors", to_attr="listed_sectors"),
                # As lists (to_attr): a prefetched relation would build a
                # queryset per program and relation, most of a page's time.
                Prefetch(
                    "partnerships",
                    Partnership.objects.select_related("organisation"),
                    to_attr="listed_partnerships",
                ),
                Prefetch(
                    "outcomes",
                    Outcome.objects.select_related("metric", "region"),
                    to_attr="listed_outcomes",
                ),
                Prefetch(
                    "activities",
                    Activity.objects.select_related("source").prefetch_related(
                        Prefetch("regions", to_attr="listed_regions"),
                        Prefetch("results", published_results, to_attr="listed_results"),
                    ),
                    to_attr="listed_activities",
                ),
                Prefetch(
                    "citations",
                    ProgramSource.objects.select_related("source"),
                    to_attr="listed_citations",
                ),
                Program.revisions_prefetch(),
            )
            .order_by("slug")
        )


class OrganisationViewSet(PublicViewSet):
    """Organisations that lead or partner a published program."""

    serializer_class = OrganisationSerializer
    pagination_class = PublicPagination
    filterset_fields = ["kind"]
    lookup_field = "slug"

    def get_queryset(self):
        return (
            Organisation.objects.shown_publicly()
            .select_related("parent", "region")
            .order_by("slug")
        )
