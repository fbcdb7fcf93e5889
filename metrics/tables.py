"""Tables of the public metric pages; they only present."""

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from metrics.models import Metric, Observation
from metrics.pagination import CappedPaginator

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


class PublicTable(tables.Table):
    """
    Base for public tables: each cell carries its column name, so that on a
    phone the stylesheet can stack a row as label/value pairs instead of
    scrolling sideways.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", "–")
        super().__init__(*args, **kwargs)
        for bound_column in self.columns:
            attrs = dict(bound_column.column.attrs)
            attrs["td"] = {**attrs.get("td", {}), "data-label": str(bound_column.header)}
            bound_column.column.attrs = attrs

    def paginate(self, paginator_class=CappedPaginator, per_page=None, page=1, *args, **kwargs):
        # `?per_page=` comes from the URL: keep it to sane page sizes.
        per_page = min(max(per_page or DEFAULT_PER_PAGE, 1), MAX_PER_PAGE)
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    def order_by_translated(self, queryset, is_descending, descriptor):
        field = descriptor.order_field()
        return queryset.order_by(f"-{field}" if is_descending else field, "pk"), True


class MetricTable(PublicTable):
    caption = _("Metrics with published figures")
    name = tables.Column(verbose_name=_("Metric"), linkify=True, empty_values=())
    category = tables.Column(verbose_name=_("Category"))
    unit = tables.Column(verbose_name=_("Unit"))
    frequency = tables.Column(verbose_name=_("Frequency"))
    is_cumulative = tables.BooleanColumn(verbose_name=_("Year to date"))
    latest_period_end = tables.DateColumn(
        verbose_name=_("Latest figure up to"), format="Y-m-d", empty_values=()
    )
    slug = tables.Column(verbose_name=_("Identifier"), visible=False)

    class Meta:
        model = Metric
        fields = ["name", "category", "unit", "frequency", "is_cumulative", "latest_period_end"]
        sequence = [*fields, "slug"]
        order_by = "name"

    def order_name(self, queryset, is_descending):
        return self.order_by_translated(queryset, is_descending, Metric.name)


class ObservationTable(PublicTable):
    caption = _("Published figures")
    period = tables.Column(
        verbose_name=_("Period"),
        accessor="period_label",
        order_by=("period_end", "period_start"),
    )
    region = tables.Column(verbose_name=_("Region"), order_by=("region__path",))
    value = tables.Column(verbose_name=_("Value"), accessor="formatted_value", order_by=("value",))
    yoy_change = tables.Column(
        verbose_name=_("Year on year (reported)"),
        accessor="formatted_change",
        order_by=("yoy_change",),
    )
    computed_change = tables.Column(
        verbose_name=_("Year on year (computed)"), empty_values=(), orderable=False
    )
    national = tables.Column(
        verbose_name=_("Against national"), accessor="formatted_national_gap", orderable=False
    )
    warnings = tables.Column(
        verbose_name=_("Checks"),
        empty_values=(),
        orderable=False,
        attrs={"td": {"class": "wide"}},
    )
    source = tables.Column(
        verbose_name=_("Source"), empty_values=(), orderable=False, attrs={"td": {"class": "wide"}}
    )
    # Machine-readable columns for the CSV download only.
    region_code = tables.Column(
        verbose_name=_("Region code"), accessor="region__code", visible=False
    )
    period_start = tables.Column(verbose_name=_("Period start"), visible=False)
    period_end = tables.Column(verbose_name=_("Period end"), visible=False)
    raw_value = tables.Column(verbose_name=_("Value in units"), accessor="value", visible=False)
    revised_at = tables.DateTimeColumn(verbose_name=_("Revised at"), visible=False)
    qualifier = tables.Column(
        verbose_name=_("Qualifier"), accessor="value_qualifier", visible=False
    )
    quote = tables.Column(verbose_name=_("Quoted sentence"), accessor="source_quote", visible=False)

    class Meta:
        model = Observation
        fields = []
        order_by = ("-period",)

    def __init__(self, *args, violations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.violations = violations or {}

    def render_value(self, record, value):
        if record.revised_at is None:
            return value or "–"
        return format_html(
            '{} <a class="revised" href="{}">({} {})</a>',
            value or "–",
            record.get_absolute_url(),
            _("revised"),
            record.revised_at.date().isoformat(),
        )

    def value_value(self, record, value):
        return value

    def render_region(self, value):
        return format_html('<a href="{}">{}</a>', value.get_absolute_url(), value.name)

    def value_region(self, value):
        return value.name

    def render_computed_change(self, record):
        computed = record.formatted_computed_change
        if not computed:
            return "–"
        if record.change_mismatch:
            return format_html(
                '{} <strong class="warning">{}</strong>', computed, _("differs from reported")
            )
        return computed

    def value_computed_change(self, record):
        return record.formatted_computed_change

    def render_warnings(self, record):
        messages = self.violations.get(record.pk, [])
        if not messages:
            return "–"
        return format_html(
            '<ul class="warnings">{}</ul>',
            format_html_join("", "<li>{}</li>", ((message,) for message in messages)),
        )

    def value_warnings(self, record):
        return " | ".join(self.violations.get(record.pk, []))

    def render_source(self, record):
        if record.source is None:
            return "–"
        derived = ""
        if record.is_derived:
            derived = format_html(
                '<p class="derived"><strong>{}</strong> {}</p>', _("Derived:"), record.derivation
            )
        return format_html(
            "<details><summary>{} {}</summary><blockquote>{}</blockquote>{}</details>",
            record.source.publisher,
            record.source.published_on.isoformat(),
            record.source_quote,
            derived,
        )

    def value_source(self, record):
        return str(record.source) if record.source else ""
