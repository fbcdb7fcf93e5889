"""Filter forms of the public metric pages; they only translate GET parameters."""

import django_filters
from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from metrics.models import Metric, Observation, Region
from metrics.periods import PeriodType

# A longer <select> is unusable on a phone and slow to render.
MAX_SELECT_OPTIONS = 200
YEAR_RANGE = (1949, 2100)


def region_options(limit: int = MAX_SELECT_OPTIONS) -> list[tuple[str, str]]:
    """
    The regions to offer in a drop-down, top levels first and indented:
    whole levels are added while the list stays within `limit`. Deeper
    regions are still accepted by code in the URL and reached from their
    parent's page.
    """
    levels = [choice.value for choice in Region.Level]
    per_level = dict(Region.objects.order_by().values_list("level").annotate(Count("pk")))
    chosen, total = [], 0
    for level in levels:
        total += per_level.get(level, 0)
        if total > limit:
            break
        chosen.append(level)
    regions = Region.objects.filter(level__in=chosen).order_by("path")
    order = {level: index for index, level in enumerate(levels)}
    return [
        (region.code, "\u2003" * order[region.level] + f"{region.name} ({region.code})")
        for region in regions.only("code", "name_en", "name_zh", "level", "path")
    ]


class RegionCodeField(forms.CharField):
    """A region chosen by its GB/T 2260 code, from a list or typed into the URL."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.Select)
        super().__init__(*args, **kwargs)
        self.widget.choices = [("", _("All regions"))] + region_options()

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        try:
            return Region.objects.get(code=code)
        except Region.DoesNotExist:
            raise forms.ValidationError(
                _("There is no region with code %(code)s."), params={"code": code}
            ) from None


class RegionFilter(django_filters.Filter):
    """Keep records of the chosen region and of every region below it."""

    field_class = RegionCodeField

    def __init__(self, *args, in_region, **kwargs):
        self.in_region = in_region
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return self.in_region(qs, value)


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", YEAR_RANGE[0])
        kwargs.setdefault("max_value", YEAR_RANGE[1])
        super().__init__(*args, **kwargs)


class MetricFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=100)
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Metric.Category.choices, empty_label=_("Any category")
    )
    frequency = django_filters.ChoiceFilter(
        label=_("Frequency"), choices=Metric.Frequency.choices, empty_label=_("Any frequency")
    )

    class Meta:
        model = Metric
        fields = ["q", "category", "frequency"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name_en__icontains=value) | Q(name_zh__icontains=value))


class ObservationFilter(django_filters.FilterSet):
    region = RegionFilter(label=_("Region"), in_region=lambda qs, region: qs.in_region(region))
    period_type = django_filters.ChoiceFilter(
        label=_("Period type"), choices=PeriodType.choices, empty_label=_("Any period type")
    )
    year = YearFilter(label=_("Year"), field_name="period_end__year")

    class Meta:
        model = Observation
        fields = ["region", "period_type", "year"]
