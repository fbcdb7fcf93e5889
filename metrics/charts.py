"""
Line charts drawn on the server as SVG.

The charts must read without JavaScript, print, and pass a Content-Security
Policy without inline styles, so they are plain SVG with presentation
attributes. A charting library would bring scripts or inline CSS for
features these pages do not need.
"""

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Colour-blind-safe palette (Okabe-Ito), each at least 3:1 against white.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56B4E9", "#000000", "#E69F00"]
MAX_SERIES = len(PALETTE)
# Past this many points a series is drawn as a line alone: the dots would
# overlap on the page, and each one carries its own tooltip markup.
MAX_DOTS_PER_SERIES = 36
MAX_DOTS_PER_SPARKLINE = 12  # a compact chart is a quarter as wide


def nice_step(span: Decimal, *, steps: int = 4) -> Decimal:
    """A round grid step (1, 2, 2.5 or 5 times a power of ten) giving about `steps` lines."""
    raw = span / steps
    magnitude = Decimal(10) ** (raw.adjusted())
    for multiple in (1, 2, Decimal("2.5"), 5, 10):
        if magnitude * multiple >= raw:
            return magnitude * multiple
    return magnitude * 10


def _n(number: float) -> str:
    """A coordinate with one decimal: enough for the eye, short in the markup."""
    return f"{number:.1f}"


@dataclass
class Point:
    when: date
    value: Decimal
    label: str = ""


@dataclass
class Series:
    name: str
    points: list[Point] = field(default_factory=list)


@dataclass
class Marker:
    """An event on the time axis, such as a program's activity."""

    when: date
    label: str


@dataclass
class Chart:
    """A time-series line chart; `render()` returns an inline <svg>."""

    title: str
    series: list[Series]
    format_value: Callable[[Decimal], str] = str
    format_tick: Callable[[Decimal], str] | None = None
    unit_label: str = ""
    markers: Sequence[Marker] = ()
    width: int = 640
    height: int = 280
    description: str = ""
    markers_label: str = "Activities"
    compact: bool = False  # a sparkline: no axes, labels or legend

    left: int = 56
    right: int = 16
    top: int = 24
    bottom: int = 40

    @property
    def has_data(self) -> bool:
        return any(series.points for series in self.series)

    @property
    def max_dots(self) -> int:
        """Series with more points than this are drawn as a line alone."""
        return MAX_DOTS_PER_SPARKLINE if self.compact else MAX_DOTS_PER_SERIES

    @property
    def has_trend(self) -> bool:
        """At least two points in one series: something a sparkline can show."""
        return any(len(series.points) > 1 for series in self.series)

    def _ranges(self):
        points = [point for series in self.series for point in series.points]
        days = [point.when for point in points] + [marker.when for marker in self.markers]
        values = [point.value for point in points]
        first, last = min(days), max(days)
        low, high = min(values), max(values)
        # Levels read best against zero; changes may go below it.
        low, high = min(low, Decimal(0)), max(high, Decimal(0))
        if low == high:
            high = low + 1
        step = nice_step(high - low)
        low = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
        high = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
        return first, last, low, high, step

    def render(self) -> SafeString:
        if not self.has_data:
            return SafeString("")
        return self._svg(self._body()) + self._legend()

    def _body(self) -> SafeString:
        first, last, low, high, step = self._ranges()
        plot_width = self.width - self.left - self.right
        plot_height = self.height - self.top - self.bottom
        span_days = max((last - first).days, 1)

        def x(day: date) -> float:
            if first == last:
                return self.left + plot_width / 2
            return self.left + plot_width * (day - first).days / span_days

        def y(value: Decimal) -> float:
            return self.top + plot_height * float((high - value) / (high - low))

        if self.compact:
            parts = []
        else:
            parts = [self._grid(low, high, step, y), self._time_axis(first, last, x)]
        parts += [self._marker(marker, x) for marker in self.markers]
        for index, series in enumerate(self.series[:MAX_SERIES]):
            parts.append(self._line(series, PALETTE[index], x, y))
        return mark_safe("".join(parts))  # each part comes from format_html

    def _svg(self, body: SafeString, *, x: int = 0, y: int = 0, nested: bool = False) -> SafeString:
        chart_id = f"chart-{zlib.crc32(self.title.encode()):08x}"
        size = (
            format_html('x="{}" y="{}" width="{}" height="{}"', x, y, self.width, self.height)
            if nested
            else mark_safe('width="100%" xmlns="http://www.w3.org/2000/svg"')
        )
        return format_html(
            '<svg class="chart" viewBox="0 0 {w} {h}" {size} role="img" '
            'aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
            "{body}</svg>",
            w=self.width,
            h=self.height,
            size=size,
            id=chart_id,
            title=self.title,
            desc=self.description or self._describe(),
            body=body,
        )

    def document(self, *, credit: str = "") -> SafeString:
        """
        The chart as an SVG document of its own, as saved and embedded: its
        title, the chart, its legend and `credit` (sources and date) in the image.
        """
        from metrics.maps import STANDALONE_FONT, svg_lines

        if not self.has_data:
            return SafeString("")
        parts = self._body()
        header, y = svg_lines(self.title, 12, 22, width=self.width, size=16, bold=True)
        chart = self._svg(parts, y=int(y - 8), nested=True)
        y += self.height + 8
        legend = SafeString("")
        names = [(PALETTE[i], s.name) for i, s in enumerate(self.series[:MAX_SERIES])]
        for colour, name in names if len(names) > 1 or self.markers else []:
            legend += format_html(
                '<rect x="12" y="{}" width="14" height="12" fill="{}"/>', f"{y - 10:.1f}", colour
            )
            text, y = svg_lines(name, 32, y, width=self.width, size=12)
            legend += text
        if self.markers:
            legend += format_html('<path d="M14 {} h10 l-5 9 z" fill="#6b6b6b"/>', f"{y - 10:.1f}")
            text, y = svg_lines(self.markers_label, 32, y, width=self.width, size=12)
            legend += text
        notes, y = svg_lines(credit, 12, y + 4, width=self.width, size=11, colour="#555")
        height = int(y + 4)
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
            'height="{h}" font-family="{font}"><rect width="100%" height="100%" fill="#ffffff"/>'
            "{header}{chart}{legend}{notes}</svg>",
            w=self.width,
            h=height,
            font=STANDALONE_FONT,
            header=header,
            chart=chart,
            legend=legend,
            notes=notes,
        )

    def _describe(self) -> str:
        return "; ".join(self._describe_series(series) for series in self.series)

    def _describe_series(self, series: Series) -> str:
        def figure(point: Point) -> str:
            return f"{point.label or point.when}: {self.format_value(point.value)}"

        if len(series.points) <= self.max_dots:
            return f"{series.name}: " + ", ".join(figure(point) for point in series.points)
        points = sorted(series.points, key=lambda point: point.when)
        return _("%(series)s: %(count)d figures, from %(first)s to %(last)s") % {
            "series": series.name,
            "count": len(points),
            "first": figure(points[0]),
            "last": figure(points[-1]),
        }

    def _grid(self, low, high, step, y) -> str:
        lines = []
        value = low
        while value <= high:
            lines.append(
                format_html(
                    '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#d0d0d0"/>'
                    '<text x="{tx}" y="{ty}" text-anchor="end" font-size="11" fill="#333">'
                    "{label}</text>",
                    x1=self.left,
                    x2=self.width - self.right,
                    y=_n(y(value)),
                    tx=self.left - 6,
                    ty=_n(y(value) + 4),
                    label=(self.format_tick or self.format_value)(value),
                )
            )
            value += step
        if self.unit_label:
            lines.append(
                format_html(
                    '<text x="{x}" y="{y}" font-size="11" fill="#333">{label}</text>',
                    x=4,
                    y=self.top - 4,
                    label=self.unit_label,
                )
            )
        return "".join(lines)

    def _time_axis(self, first: date, last: date, x) -> str:
        baseline = self.height - self.bottom
        if last.year - first.year >= 2:
            years = [date(year, 1, 1) for year in range(first.year + 1, last.year + 1)]
            step = max(1, len(years) // 8)
            ticks = [(day, str(day.year), "middle") for day in years[::step]]
        elif first == last:
            ticks = [(first, first.isoformat(), "middle")]
        else:
            ticks = [(first, first.isoformat(), "start"), (last, last.isoformat(), "end")]
        axis = format_html(
            '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#333"/>',
            x1=self.left,
            x2=self.width - self.right,
            y=baseline,
        )
        return axis + "".join(
            format_html(
                '<line x1="{x}" x2="{x}" y1="{y1}" y2="{y2}" stroke="#333"/>'
                '<text x="{x}" y="{ty}" text-anchor="{anchor}" font-size="11" fill="#333">'
                "{label}</text>",
                x=_n(x(day)),
                y1=baseline,
                y2=baseline + 5,
                ty=baseline + 18,
                anchor=anchor,
                label=label,
            )
            for day, label, anchor in ticks
        )

    def _marker(self, marker: Marker, x) -> str:
        return format_html(
            '<g class="marker"><title>{label}</title>'
            '<line x1="{x}" x2="{x}" y1="{y1}" y2="{y2}" stroke="#6b6b6b" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>'
            '<path d="M{x} {y1} l-5 -8 h10 z" fill="#6b6b6b"/></g>',
            label=marker.label,
            x=_n(x(marker.when)),
            y1=self.top + 8,
            y2=self.height - self.bottom,
        )

    def _line(self, series: Series, colour: str, x, y) -> str:
        points = sorted(series.points, key=lambda point: point.when)
        path = ""
        if len(points) > 1:
            path = format_html(
                '<polyline fill="none" stroke="{c}" stroke-width="2.5" points="{p}"/>',
                c=colour,
                p=" ".join(f"{_n(x(point.when))},{_n(y(point.value))}" for point in points),
            )
        if len(points) > self.max_dots:
            return format_html('<g class="series">{}</g>', path)
        dots = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="4.5" fill="{}"><title>{}</title></circle>',
            (
                (
                    _n(x(point.when)),
                    _n(y(point.value)),
                    colour,
                    f"{series.name}, {point.label or point.when}: {self.format_value(point.value)}",
                )
                for point in points
            ),
        )
        return format_html('<g class="series">{}{}</g>', path, dots)

    def _legend(self) -> SafeString:
        if self.compact or (len(self.series) < 2 and not self.markers):
            return SafeString("")
        items = format_html_join(
            "",
            '<li><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" '
            'fill="{}"/></svg> {}</li>',
            (
                (PALETTE[index], series.name)
                for index, series in enumerate(self.series[:MAX_SERIES])
            ),
        )
        if self.markers:
            items += format_html(
                '<li><svg width="14" height="14" aria-hidden="true"><path d="M2 2 h10 l-5 9 z" '
                'fill="#6b6b6b"/></svg> {}</li>',
                self.markers_label,
            )
        return format_html('<ul class="chart-legend">{}</ul>', items)


@dataclass(frozen=True, slots=True)
class ChartFigure:
    """
    A figure as a chart needs it, read with `values_list`: a series of a few
    thousand figures (the home page's trends) costs a tenth of what as many
    Observation instances do. Answers what observation_chart asks of an
    Observation.
    """

    FIELDS = ("period_type", "period_start", "period_end", "value", "yoy_change")

    region: object
    period_type: str
    period_start: date
    period_end: date
    value: Decimal | None
    yoy_change: Decimal | None

    @property
    def region_id(self):
        return self.region.pk

    @property
    def period_label(self) -> str:
        from metrics.periods import Period

        return Period(self.period_type, self.period_start, self.period_end).label()

    def get_period_type_display(self) -> str:
        from metrics.periods import PeriodType

        return PeriodType(self.period_type).label


def chart_figures(observations) -> list[ChartFigure]:
    """The figures of a queryset as a chart needs them, each region read once."""
    from metrics.models import Region

    # One point per period: a derived figure beside a reported one is not drawn.
    rows = list(observations.preferred().values_list("region_id", *ChartFigure.FIELDS))
    regions = Region.objects.only("code", "name_en", "name_zh", "level", "path").in_bulk(
        {row[0] for row in rows}
    )
    return [ChartFigure(regions[region_id], *fields) for region_id, *fields in rows]


def observation_chart(
    metric,
    observations,
    *,
    title: str,
    markers: Sequence[Marker] = (),
    markers_label: str = "",
    width: int = 640,
    height: int = 280,
    compact: bool = False,
) -> Chart:
    """
    Chart a metric's observations: one line per region (and period type,
    when they mix, so that year-to-date sums are not joined to full years).
    Metrics reported only as changes are charted as changes, in percent.
    """
    from metrics.formatting import format_change, format_figure, format_number, scale_for

    observations = list(observations)
    with_values = [observation for observation in observations if observation.value is not None]
    if with_values:
        plotted = with_values

        def value_of(observation):
            return observation.value

        def format_value(value):
            return format_figure(value, unit=metric.unit)

        power, unit_label = scale_for(metric.unit, metric.display_scale)

        def format_tick(value):
            return format_number(value.scaleb(-power), decimals=1 if power else None)
    else:
        plotted = [obs for obs in observations if obs.yoy_change is not None]

        def value_of(observation):
            return observation.yoy_change

        def format_value(value):
            return format_change(value)

        unit_label = "% y/y"
        format_tick = format_value

    mixed_types = len({observation.period_type for observation in plotted}) > 1
    grouped: dict[tuple, Series] = {}
    for observation in sorted(plotted, key=lambda obs: (obs.region.path, obs.period_end)):
        key = (observation.region_id, observation.period_type if mixed_types else "")
        if key not in grouped:
            name = observation.region.name
            if mixed_types:
                name = f"{name} – {observation.get_period_type_display()}"
            grouped[key] = Series(name=name)
        grouped[key].points.append(
            Point(observation.period_end, value_of(observation), observation.period_label)
        )
    chart = Chart(
        title=title,
        series=list(grouped.values()),
        format_value=format_value,
        format_tick=format_tick,
        unit_label=unit_label,
        markers=markers,
        width=width,
        height=height,
        compact=compact,
    )
    if compact:
        chart.left = chart.right = chart.top = chart.bottom = 6
    if markers_label:
        chart.markers_label = markers_label
    return chart


# --- Bar charts of counts ------------------------------------------------------------------


@dataclass
class Bar:
    """One count: what it counts, how many, and where the records behind it are listed."""

    label: str
    value: int
    url: str = ""
    colour: str = PALETTE[0]


@dataclass
class BarChart:
    """
    Counts as horizontal bars, largest scaled to the plot's width; each bar
    with its label and number written beside it (readable without colour)
    and a link to the records it counts. `render()` returns an inline <svg>.
    """

    title: str
    bars: list[Bar]
    description: str = ""
    width: int = 560
    label_width: int = 220
    number_width: int = 56
    bar_height: int = 20
    gap: int = 8

    @property
    def height(self) -> int:
        return self.gap + len(self.bars) * (self.bar_height + self.gap)

    def render(self) -> SafeString:
        if not self.bars:
            return SafeString("")
        chart_id = f"bars-{zlib.crc32(self.title.encode()):08x}"
        plot_width = self.width - self.label_width - self.number_width
        largest = max(bar.value for bar in self.bars) or 1
        rows = []
        for index, bar in enumerate(self.bars):
            top = self.gap + index * (self.bar_height + self.gap)
            middle = top + self.bar_height / 2 + 4
            length = plot_width * bar.value / largest
            row = format_html(
                "<title>{label}: {value}</title>"
                '<text x="{label_x}" y="{y}" text-anchor="end" font-size="12" fill="#333">'
                "{label}</text>"
                '<rect x="{x}" y="{top}" width="{length}" height="{height}" fill="{colour}"/>'
                '<text x="{number_x}" y="{y}" font-size="12" font-weight="bold" fill="#1a1a1a">'
                "{value}</text>",
                label=bar.label,
                value=bar.value,
                label_x=self.label_width - 8,
                y=_n(middle),
                x=self.label_width,
                top=top,
                length=_n(length),
                height=self.bar_height,
                colour=bar.colour,
                number_x=_n(self.label_width + length + 6),
            )
            if bar.url:
                rows.append(format_html('<a href="{}">{}</a>', bar.url, row))
            else:
                rows.append(format_html("<g>{}</g>", row))
        return format_html(
            '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" '
            'xmlns="http://www.w3.org/2000/svg" role="img" '
            'aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
            "{rows}</svg>",
            w=self.width,
            h=self.height,
            id=chart_id,
            title=self.title,
            desc=self.description or "; ".join(f"{bar.label}: {bar.value}" for bar in self.bars),
            rows=mark_safe("".join(rows)),  # each row comes from format_html
        )
