"""Tables of the public metric pages; they only present."""

import copy
import html
from collections import OrderedDict

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import escape, format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tables2 import A, ManyToManyColumn
from django_tables2.columns.base import LinkTransform
from django_tables2.templatetags.django_tables2 import table_page_range
from django_tables2.utils import signature

from metrics.models import Metric, Observation
from metrics.pagination import PublicPaginator

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


class PublicTable(tables.Table):
    """
    Base for public tables: each cell carries its column name, so that on a
    phone the stylesheet can stack a row as label/value pairs instead of
    scrolling sideways.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.base_columns = _CopiedColumns(cls.base_columns)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", "–")
        super().__init__(*args, **kwargs)
        for bound_column in self.columns:
            attrs = dict(bound_column.column.attrs)
            attrs["td"] = {**attrs.get("td", {}), "data-label": str(bound_column.header)}
            bound_column.column.attrs = attrs

    def rendered_rows(self):
        """
        The page's rows as HTML, one string of cells per row: what
        django-tables2's template draws with `{% for column, cell in
        row.items %}`, drawn in Python. Each cell's value comes from
        django-tables2 (accessor, choices, empty values, `render_<column>`,
        links); what is done once per column instead of once per cell is
        the cell attributes and the inspection of the render function's
        signature, which with the template's lookups were most of a list
        page's time. tests/test_tables.py holds it to the template's output.
        """
        columns = [
            (mark_safe(bound_column.attrs["td"].as_html()), _CellRenderer(bound_column, self))
            for bound_column in self.columns
        ]
        for row in self.paginated_rows:
            yield SafeString(
                "".join(f"<td {attrs}>{render(row)}</td>" for attrs, render in columns)
            )

    def rendered_header(self):
        """
        The header's cells, each a link to the table in that column's next
        order: what templates/django_tables2/public.html drew with a
        `querystring_replace` per column, with the request's parameters
        read once. tests/test_tables.py holds it to the template's output.
        """
        cells = []
        for column in self.columns:
            attrs = column.attrs["th"].as_html()
            header = escape_cell(column.header)
            descending = column.is_ordered and column.order_by_alias.is_descending
            sort = ""
            if column.is_ordered:
                sort = f' aria-sort="{"descending" if descending else "ascending"}"'
            if column.orderable:
                indicator = (" ▼" if descending else " ▲") if column.is_ordered else " ⇅"
                href = self.address_with(self.prefixed_order_by_field, column.order_by_alias.next)
                header = (
                    f'<a href="{href}">{header}'
                    f'<span class="sort-indicator" aria-hidden="true">{indicator}</span></a>'
                )
            cells.append(f'<th scope="col" {attrs}{sort}>{header}</th>')
        return SafeString("".join(cells))

    def rendered_pages(self):
        """The pagination's links (previous, page numbers, next), as the header's."""
        page, field = self.page, self.prefixed_page_field
        links = []
        if page.has_previous():
            href = self.address_with(field, page.previous_page_number())
            links.append(f'<li><a rel="prev" href="{href}">{escape(_("Previous"))}</a></li>')
        for number in table_page_range(page, self.paginator):
            if number == "...":
                links.append("<li><span>…</span></li>")
            elif number == page.number:
                links.append(f'<li><span aria-current="page">{localize(number)}</span></li>')
            else:
                href = self.address_with(field, number)
                links.append(f'<li><a href="{href}">{localize(number)}</a></li>')
        if page.has_next():
            href = self.address_with(field, page.next_page_number())
            links.append(f'<li><a rel="next" href="{href}">{escape(_("Next"))}</a></li>')
        return SafeString("".join(links))

    def address_with(self, name: str, value) -> str:
        """This page's query string with one parameter set, escaped for an attribute."""
        parameters = dict(self.request.GET)
        parameters[name] = value
        return escape("?" + urlencode(parameters, doseq=True))

    def sort_choices(self) -> list[tuple[str, str, bool]]:
        """
        Every order the table offers, as its `sort` values: (value, label,
        whether it is the current order). Phones choose from this list, as
        the stylesheet stacks the rows and hides the clickable headers.
        """
        current = str(self.order_by[0]) if self.order_by else ""
        ascending, descending = gettext("%(column)s, ascending"), gettext("%(column)s, descending")
        choices = []
        for column in self.columns:
            if not column.orderable:
                continue
            header = {"column": column.header}
            for value, label in ((column.name, ascending), (f"-{column.name}", descending)):
                choices.append((value, label % header, value == current))
        return choices

    def rendered_sort_options(self):
        """The phone's sort list (`sort_choices`) as <option>s, the current one selected."""
        return SafeString(
            "".join(
                f'<option value="{escape(value)}"{" selected" if current else ""}>'
                f"{escape(label)}</option>"
                for value, label, current in self.sort_choices()
            )
        )

    def kept_parameters(self) -> list[tuple[str, str]]:
        """The request's other parameters (filters), which choosing an order keeps."""
        request = getattr(self, "request", None)
        if request is None:
            return []
        dropped = {self.prefixed_order_by_field, self.prefixed_page_field}
        return [
            (name, value)
            for name, values in request.GET.lists()
            if name not in dropped
            for value in values
        ]

    def paginate(self, paginator_class=PublicPaginator, per_page=None, page=1, *args, **kwargs):
        # `?per_page=` comes from the URL: keep it to sane page sizes.
        per_page = min(max(per_page or DEFAULT_PER_PAGE, 1), MAX_PER_PAGE)
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    def order_by_translated(self, queryset, is_descending, descriptor):
        return queryset.order_by(descriptor.order(descending=is_descending), "pk"), True


class _CopiedColumns(OrderedDict):
    """
    A table class's columns, which django-tables2 deep-copies for every
    table it makes (half of making one): each table gets a copy of each
    column instead, sharing what the column refers to. django-tables2 and
    these tables only ever set a column's attributes (visible, accessor,
    attrs), never change a dictionary or list of one in place.
    """

    def __deepcopy__(self, memo):
        return OrderedDict((name, copy.copy(column)) for name, column in self.items())


class _CellRenderer:
    """Draws one column's cell for a row, escaped and localised as a template would."""

    def __init__(self, bound_column, table):
        self.bound_column = bound_column
        self.wanted, self.takes_any = signature(bound_column.render)
        self.render = bound_column.render
        self.default = bound_column.default
        self.empty_values = bound_column.column.empty_values
        # A plain attribute of the record (no lookup through relations, no
        # many-to-many column) is read directly, its choice label through
        # get_FOO_display as django-tables2 does; anything else goes the
        # way django-tables2 goes. Decided for the column, not per cell.
        self.attribute, self.choices = None, False
        accessor = A(bound_column.accessor)
        plain = not isinstance(bound_column.column, ManyToManyColumn)
        if len(accessor.bits) == 1 and plain:
            self.attribute = accessor.bits[0]
            model = getattr(table.data, "model", None)
            if model is not None:
                try:
                    self.choices = bool(getattr(accessor.get_field(model), "choices", ()))
                except FieldDoesNotExist:
                    pass
        self.link = bound_column.link
        self.link_attribute = _plain_link_attribute(bound_column)
        # A column drawing every value (no empty values) whose render function
        # and link do not take the value: django-tables2 would find the value
        # only to hand it to nobody, so it is not looked up.
        self.needs_value = not (
            plain
            and not self.empty_values
            and not self.takes_any
            and "value" not in self.wanted
            and (not self.link or self.link_attribute is not None)
        )

    def value(self, record):
        """The cell's value as django-tables2 finds it, or _UNRESOLVED to let it find it."""
        if self.attribute is None or not isinstance(record, models.Model):
            return _UNRESOLVED
        if self.choices:
            return getattr(record, f"get_{self.attribute}_display")()
        value = getattr(record, self.attribute, _UNRESOLVED)
        return _UNRESOLVED if callable(value) else value

    def draw(self, row, value=None):
        """The column's render function and link for this row and value, as django-tables2's."""
        if self.takes_any or len(self.wanted) > 1 or (self.wanted and self.wanted[0] != "value"):
            arguments = self.arguments(row, value)
            wanted = (
                arguments
                if self.takes_any
                else {name: arguments[name] for name in self.wanted if name in arguments}
            )
            content = self.render(**wanted)
        else:
            content = self.render(value=value) if self.wanted else self.render()
        if not self.link:
            return content
        record = row.record
        if self.link_attribute is None or not isinstance(record, models.Model):
            return self.link(content, **self.arguments(row, value))
        # A linkify=True column without link attributes: LinkTransform's
        # <a href="…">…</a>, to the get_absolute_url() of the attribute or
        # else of the record, without its generic attribute handling.
        target = getattr(record, self.link_attribute)
        if callable(target):  # LinkTransform calls it
            return self.link(content, **self.arguments(row, value))
        if not hasattr(target, "get_absolute_url"):
            target = record
        href = target.get_absolute_url()
        if href is None:
            return content
        return SafeString(f'<a href="{escape_cell(href)}">{escape_cell(content)}</a>')

    def arguments(self, row, value):
        """What django-tables2 offers a column's render function and link."""
        return {
            "value": value,
            "record": row.record,
            "column": self.bound_column.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": row.table,
        }

    def __call__(self, row):
        if not self.needs_value:
            content = self.draw(row)
        else:
            value = self.value(row.record)
            if value is _UNRESOLVED:
                # The value as django-tables2 finds it (the method BoundRow.get_cell
                # uses: accessor, choices, empty values), drawn by `draw` instead of
                # its generic call, which inspects the signature for every cell.
                content = row._get_and_render_with(
                    self.bound_column,
                    lambda _column, value=None: self.draw(row, value),
                    self.default,
                )
            elif value in self.empty_values:
                content = self.default
            else:
                content = self.draw(row, value)
        return escape_cell(localize(content))


def _plain_link_attribute(bound_column):
    """
    The record's attribute django-tables2's LinkTransform reads for a
    `linkify=True` column with no link attributes (whose get_absolute_url,
    or else the record's, is the address), or None for any other link.
    """
    link = bound_column.link
    if type(link) is not LinkTransform or link.url is not None or link.reverse_args or link.attrs:
        return None
    name = link.accessor if link.accessor is not None else bound_column.name
    bits = A(name).bits
    return bits[0] if len(bits) == 1 else None


def escape_cell(value):
    """conditional_escape() for the values of a cell, without its check for lazy arguments."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return SafeString(html.escape(str(value)))


_UNRESOLVED = object()


class IsoDateColumn(tables.Column):
    """
    A date as YYYY-MM-DD. django-tables2's DateColumn compiles a template
    for every cell it draws; a date needs no template.
    """

    def render(self, value):
        return value.isoformat() if value else ""

    def value(self, value):
        return value.isoformat() if value else ""


class MetricTable(PublicTable):
    caption = _("Metrics with published figures")
    name = tables.Column(verbose_name=_("Metric"), linkify=True, empty_values=())
    category = tables.Column(verbose_name=_("Category"))
    unit = tables.Column(verbose_name=_("Unit"))
    frequency = tables.Column(verbose_name=_("Frequency"))
    is_cumulative = tables.BooleanColumn(verbose_name=_("Year to date"))
    latest_period_end = IsoDateColumn(verbose_name=_("Latest figure up to"), empty_values=())
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
            # The department's day, as every date the site shows.
            timezone.localdate(record.revised_at).isoformat(),
        )

    def value_value(self, record, value):
        return value

    def render_region(self, value):
        # As format_html draws it, without its generic escaping (a cell per row).
        return SafeString(
            f'<a href="{escape_cell(value.get_absolute_url())}">{escape_cell(value.name)}</a>'
        )

    def value_region(self, value):
        return value.name

    def render_computed_change(self, record):
        computed = record.formatted_computed_change
        if not computed:
            return "–"
        if record.change_mismatch:
            warning = escape_cell(_("differs from reported"))
            return SafeString(f'{escape_cell(computed)} <strong class="warning">{warning}</strong>')
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
        if not record.is_quoted:
            derived = format_html(
                '<p class="derived"><strong>{}:</strong> {}</p>',
                record.get_basis_display(),
                record.basis_note,
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
