"""Filter forms of the public metric pages; they only translate GET parameters."""

import re

import django_filters
from django import forms
from django.db.models import Count, Q
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from metrics.models import Metric, Observation, Region
from metrics.page_cache import remembered
from metrics.periods import PeriodType
from metrics.translation import is_chinese

REGION_CODE = re.compile(r"[1-9][0-9]{5}")
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
    chinese = is_chinese()
    return [
        (code, "\u2003" * order[level] + f"{(chinese and name_zh) or name_en} ({code})")
        for code, name_en, name_zh, level in regions.values_list(
            "code", "name_en", "name_zh", "level"
        )
    ]


class PlainSelect(forms.Select):
    """
    A drop-down drawn in Python, straight from its choices. Django builds a
    dictionary of attributes for every option and draws each through its
    own template, which made the filter forms a third of a list page's
    time; the markup is the same (tests/metrics/test_widgets.py).
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        return self.draw(name, attrs, self.options_html(chosen))

    def options_html(self, chosen) -> str:
        """The choices as <option> (and <optgroup>) elements, `chosen` values selected."""
        found = False

        def option(option_value, label):
            nonlocal found
            option_value = "" if option_value is None else str(option_value)
            # As Django: one match only, unless the widget takes several.
            selected = (self.allow_multiple_selected or not found) and option_value in chosen
            found = found or selected
            flag = " selected" if selected else ""
            return (
                f'<option value="{escape(option_value)}"{flag}>{conditional_escape(label)}</option>'
            )

        parts = []
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):  # a group of options
                inner = "".join(option(*choice) for choice in label)
                parts.append(
                    f'<optgroup label="{conditional_escape(option_value)}">{inner}</optgroup>'
                )
            else:
                parts.append(option(option_value, label))
        return "".join(parts)

    def draw(self, name, attrs, options_html):
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attrs}>{options_html}</select>')


class PlainInputMixin:
    """
    An <input> drawn in Python, with the markup of Django's template for it
    (tests/metrics/test_widgets.py), for the same reason as PlainSelect.
    """

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = "" if value is None else f' value="{escape(value)}"'
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(
            f'<input type="{escape(self.input_type)}" name="{escape(name)}"{shown}{attrs}>'
        )


class PlainTextInput(PlainInputMixin, forms.TextInput):
    pass


class PlainNumberInput(PlainInputMixin, forms.NumberInput):
    pass


class RememberedOptionsSelect(PlainSelect):
    """
    A PlainSelect whose options are published content (regions, partners):
    drawn once per content version and language, none selected, and shared
    by every address of the page; a render marks the chosen one in them.
    Subclasses name the options (`options_name`) and set `self.choices` in
    `set_choices()`, which runs only when they are drawn again.
    """

    options_name = ""

    def set_choices(self):
        raise NotImplementedError

    def render(self, name, value, attrs=None, renderer=None):
        if self.allow_multiple_selected:
            self.set_choices()
            return super().render(name, value, attrs, renderer)

        def build():
            self.set_choices()
            if not self.fits():
                return None
            return self.options_html(set())

        options = remembered(f"select-options:{self.options_name}", build)
        if options is None:  # too many to offer
            self.set_choices()
            return forms.TextInput(self.attrs).render(name, value, attrs, renderer)
        chosen = self.format_value(value)
        if chosen:
            # The first option of the chosen value, as Django marks one match only.
            # Labels and values are escaped, so only an option's own markup matches.
            unselected = f'<option value="{escape(chosen[0])}">'
            options = options.replace(unselected, unselected[:-1] + " selected>", 1)
        return self.draw(name, attrs, options)

    def fits(self) -> bool:
        return True


class RegionSelect(RememberedOptionsSelect):
    """
    The region drop-down; its options are read when it is drawn, not when a
    filter is built, and kept while published content is unchanged.
    """

    options_name = "regions"

    def set_choices(self):
        self.choices = [("", _("All regions")), *remembered("region-options", region_options)]


class BoundedSelect(RememberedOptionsSelect):
    """
    A drop-down that becomes a text box when it would offer more than
    MAX_SELECT_OPTIONS. With `options` (a function returning (value, label)
    pairs, at most MAX_SELECT_OPTIONS + 1 of them, such as a remembered
    list) and the name it is remembered by (`options_name`), it draws those
    after `empty_label` instead of querying the field's choices on every
    render; the field still validates against its queryset.
    """

    def __init__(self, attrs=None, *, options=None, empty_label=None, options_name=None):
        super().__init__(attrs)
        self.options, self.empty_label = options, empty_label
        self.options_name = options_name

    def set_choices(self):
        if self.options is not None:
            self.choices = [("", self.empty_label or ""), *self.options()]

    def fits(self) -> bool:
        return len(self.choices) <= MAX_SELECT_OPTIONS + 1  # + the empty choice

    def render(self, name, value, attrs=None, renderer=None):
        if self.options is None or self.options_name is None:
            # Choices from the field: drawn as they are, every time.
            if not self.fits():
                return forms.TextInput(self.attrs).render(name, value, attrs, renderer)
            return PlainSelect.render(self, name, value, attrs, renderer)
        return super().render(name, value, attrs, renderer)


UNKNOWN_REGION = object()
REGION_CODE_SCHEMA = {"type": "string", "pattern": r"^[1-9][0-9]{5}$"}


class RegionCodeField(forms.CharField):
    """
    A region chosen by its GB/T 2260 code, from a list or typed into the URL.
    A page says when a code is unknown; the API (`unknown_matches_nothing`)
    answers with an empty list, as for any filter that matches nothing.
    """

    widget = RegionSelect

    def __init__(self, *args, unknown_matches_nothing=False, **kwargs):
        self.unknown_matches_nothing = unknown_matches_nothing
        super().__init__(*args, **kwargs)

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        if not REGION_CODE.fullmatch(code):
            raise forms.ValidationError(_("A region code is six digits, such as 141000."))
        try:
            return Region.objects.get(code=code)
        except Region.DoesNotExist:
            if self.unknown_matches_nothing:
                return UNKNOWN_REGION
            raise forms.ValidationError(
                _("There is no region with code %(code)s."), params={"code": code}
            ) from None


SEARCH_MAX_LENGTH = 100
# Every form field refuses NUL characters (400); the schema says so.
TEXT_PATTERN = "^[^\\x00]*$"


@extend_schema_field(REGION_CODE_SCHEMA)
class RegionFilter(django_filters.Filter):
    """Keep records of the chosen region and of every region below it."""

    field_class = RegionCodeField

    def __init__(self, *args, in_region, **kwargs):
        self.in_region = in_region
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if value is UNKNOWN_REGION:
            return qs.none()
        return self.in_region(qs, value)


@extend_schema_field({"type": "string", "maxLength": SEARCH_MAX_LENGTH, "pattern": TEXT_PATTERN})
class SearchFilter(django_filters.CharFilter):
    """Free text to look for, up to 100 characters."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        kwargs.setdefault("widget", PlainTextInput)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": YEAR_RANGE[0], "maximum": YEAR_RANGE[1]})
class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", YEAR_RANGE[0])
        kwargs.setdefault("max_value", YEAR_RANGE[1])
        kwargs.setdefault("widget", PlainNumberInput)
        super().__init__(*args, **kwargs)


class PlainChoiceFilter(django_filters.ChoiceFilter):
    """A choice among a few fixed values, drawn by PlainSelect."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", PlainSelect)
        super().__init__(*args, **kwargs)


class MetricFilter(django_filters.FilterSet):
    q = SearchFilter(label=_("Search"), method="search")
    category = PlainChoiceFilter(
        label=_("Category"), choices=Metric.Category.choices, empty_label=_("Any category")
    )
    frequency = PlainChoiceFilter(
        label=_("Frequency"), choices=Metric.Frequency.choices, empty_label=_("Any frequency")
    )

    class Meta:
        model = Metric
        fields = ["q", "category", "frequency"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name_en__icontains=value) | Q(name_zh__icontains=value))


class ObservationFilter(django_filters.FilterSet):
    region = RegionFilter(label=_("Region"), in_region=lambda qs, region: qs.in_region(region))
    period_type = PlainChoiceFilter(
        label=_("Period type"), choices=PeriodType.choices, empty_label=_("Any period type")
    )
    year = YearFilter(label=_("Year"), field_name="period_end__year")

    class Meta:
        model = Observation
        fields = ["region", "period_type", "year"]
