"""The program list's filter form; it only translates GET parameters."""

from functools import cache, partial

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from metrics.filters import (
    MAX_SELECT_OPTIONS,
    BoundedSelect,
    PlainChoiceFilter,
    RegionFilter,
    SearchFilter,
    YearFilter,
)
from metrics.models import PublicationState
from metrics.models.publication import linked_by
from metrics.page_cache import remembered
from metrics.translation import name_order
from programs.models import Organisation, Partnership, Program, Sector


def public_partners():
    """Organisations that partner at least one published program, by name (pinyin in Chinese)."""
    return _public_partners().order_by(name_order("name"))


def public_sectors():
    """Sectors of at least one published program, by name (pinyin in Chinese)."""
    return _public_sectors().order_by(name_order("name"))


# Built once: the queries' shape never changes, and building one (subqueries,
# joins) cost more than a filter form's rendering. Callers get a copy ordered
# for the reader's language, never the kept queryset, whose results would be
# cached.
@cache
def _public_partners():
    return linked_by(
        Organisation.objects.published(),
        Partnership.objects.filter(program__publication_state=PublicationState.PUBLISHED),
        "organisation_id",
    )


@cache
def _public_sectors():
    return linked_by(
        Sector.objects.all(),
        Program.sectors.through.objects.filter(
            program__publication_state=PublicationState.PUBLISHED
        ),
        "sector_id",
    )


def slug_options(name: str, choices) -> list[tuple[str, str]]:
    """
    (slug, name) of the first MAX_SELECT_OPTIONS + 1 `choices`, remembered
    per content version: every address of the program list shows them.
    """

    def build():
        rows = choices().only("slug", "name_en", "name_zh")[: MAX_SELECT_OPTIONS + 1]
        return [(row.slug, row.name) for row in rows]

    return remembered(name, build)


@extend_schema_field(OpenApiTypes.STR)
class ChoiceBySlugFilter(django_filters.ModelChoiceFilter):
    """
    A choice among organisations or sectors by slug. Past MAX_SELECT_OPTIONS
    the form shows a text box taking the slug, so no page renders a huge list.
    """

    def __init__(self, *args, choices, apply, **kwargs):
        self.apply = apply
        kwargs.setdefault("to_field_name", "slug")
        kwargs["queryset"] = lambda request: choices()
        kwargs.setdefault(
            "widget",
            BoundedSelect(
                options=partial(slug_options, f"{choices.__name__}-options", choices),
                empty_label=kwargs.get("empty_label"),
                options_name=choices.__name__,
            ),
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return qs if value is None else self.apply(qs, value)


class ProgramFilter(django_filters.FilterSet):
    q = SearchFilter(label=_("Search"), method="search")
    kind = PlainChoiceFilter(
        label=_("Kind"), choices=Program.Kind.choices, empty_label=_("Any kind")
    )
    status = PlainChoiceFilter(
        label=_("Status"), choices=Program.Status.choices, empty_label=_("Any status")
    )
    region = RegionFilter(label=_("Region"), in_region=lambda qs, region: qs.in_region(region))
    partner = ChoiceBySlugFilter(
        label=_("Partner"),
        choices=public_partners,
        apply=lambda qs, organisation: qs.with_partner(organisation),
        empty_label=_("Any partner"),
    )
    sector = ChoiceBySlugFilter(
        label=_("Sector"),
        choices=public_sectors,
        apply=lambda qs, sector: qs.in_sector(sector),
        empty_label=_("Any sector"),
    )
    year = YearFilter(label=_("Active in year"), method="active_in")

    class Meta:
        model = Program
        fields = ["q", "kind", "status", "region", "partner", "sector", "year"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title_en__icontains=value) | Q(title_zh__icontains=value))

    def active_in(self, queryset, name, value):
        return queryset.active_in_year(value)
