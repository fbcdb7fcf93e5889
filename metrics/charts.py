"""
Line charts drawn on the server as SVG.

The charts must read without JavaScript, print, and pass a Content-Security
Policy without inline styles, so they are plain SVG with presentation
attributes. A charting library would bring scripts or inline CSS for
features these pages do not need.
"""

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from metrics.formatting import Qualifier

# Colour-blind-safe palette (Okabe-Ito), each at least 3:1 against white.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56B4E9", "#000000", "#E69F00"]
MAX_SERIES = len(PALETTE)
# Past this many points a series is drawn as a line alone: the dots would
# overlap on the page, and each one carries its own tooltip markup.
MAX_DOTS_PER_SERIES = 36
MAX_DOTS_PER_SPARKLINE = 12  # a compact chart is a quarter as wide
# Up to this many qualified figures are written out beside their dots
# ("more than 30 million yuan"); more would crowd the plot, and the legend
# explains their hollow dots.
MAX_WRITTEN_QUALIFIED = 3
# Phones get a drawing of their own (site.css shows one of the two): drawn
# at about a phone's width, its text is not scaled down below 11 CSS px as
# the wide drawing's would be.
NARROW_WIDTH = 340
NARROW_HEIGHT = 260
FONT_SIZE = 12
# Reference levels (an outcome's baseline and target): dashes and the shape
# at their date, told apart without colour.
REFERENCE_COLOUR = "#1a1a1a"
REFERENCE_DASHES = ["2 3", "8 4"]


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
    # The figure as the source wrote it, qualifier included ("more than 30
    # million yuan"); the chart's format_value(value) when empty.
    text: str = ""
    qualifier: str = Qualifier.EXACT

    @property
    def exact(self) -> bool:
        return self.qualifier == Qualifier.EXACT


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
class Reference:
    """A level the figures are read against, such as an outcome's baseline or target."""

    name: str
    value: Decimal
    when: date | None = None
    detail: str = ""  # the level with its period, as the description reads it


def text_width(text: str, size: float) -> float:
    """
    About how wide `text` is drawn at font size `size`: Chinese characters
    a full em, digits and Latin letters a bit over half. Enough to keep
    labels apart without measuring fonts on the server.
    """
    return sum(size if ord(char) >= 0x2E80 else size * 0.62 for char in text)


@dataclass
class Chart:
    """A time-series line chart; `render()` returns an inline <svg>."""

    title: str
    series: list[Series]
    format_value: Callable[[Decimal], str] = str
    format_tick: Callable[[Decimal], str] | None = None
    unit_label: str = ""
    markers: Sequence[Marker] = ()
    references: Sequence[Reference] = ()
    width: int = 640
    height: int = 280
    description: str = ""
    markers_label: str = "Activities"
    compact: bool = False  # a sparkline: no axes, labels or legend

    font_size: int = FONT_SIZE
    left: int = 56  # at least: widened to the longest value label
    right: int = 16
    top: int = 32  # room for the unit above the top value label
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
        days += [reference.when for reference in self.references if reference.when]
        values = [point.value for point in points]
        values += [reference.value for reference in self.references]
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
        """
        The chart as inline SVG: a compact chart once; any other twice, at
        its width and at a phone's (site.css shows the one that fits), then
        its legend.
        """
        if not self.has_data:
            return SafeString("")
        if self.compact:
            return self._svg(self._body())
        narrow = replace(self, width=NARROW_WIDTH, height=NARROW_HEIGHT)
        return (
            self._svg(self._body(), css_class="chart chart-wide")
            + narrow._svg(narrow._body(), css_class="chart chart-narrow")
            + self._legend()
        )

    def _body(self) -> SafeString:
        first, last, low, high, step = self._ranges()
        ticks = []
        value = low
        while value <= high:
            ticks.append((value, (self.format_tick or self.format_value)(value)))
            value += step
        left = self.left
        if not self.compact:
            # As wide as the longest value label needs, so that it is never cut off.
            left = int(max(text_width(label, self.font_size) for _value, label in ticks)) + 12
        plot_width = self.width - left - self.right
        plot_height = self.height - self.top - self.bottom
        span_days = max((last - first).days, 1)

        def x(day: date) -> float:
            if first == last:
                return left + plot_width / 2
            return left + plot_width * (day - first).days / span_days

        def y(value: Decimal) -> float:
            return self.top + plot_height * float((high - value) / (high - low))

        if self.compact:
            parts = []
        else:
            parts = [self._grid(ticks, y, left), self._time_axis(first, last, x, left)]
        parts += [self._marker(marker, x) for marker in self.markers]
        parts.append(self._references(x, y, left))
        for index, series in enumerate(self.series[:MAX_SERIES]):
            parts.append(self._line(series, PALETTE[index], x, y))
        if not self.compact:
            parts.append(self._qualified_labels(x, y, left))
        return mark_safe("".join(parts))  # each part comes from format_html

    def _svg(
        self,
        body: SafeString,
        *,
        x: int = 0,
        y: int = 0,
        nested: bool = False,
        css_class: str = "chart",
    ) -> SafeString:
        chart_id = f"chart-{zlib.crc32(self.title.encode()):08x}-{self.width}"
        size = (
            format_html('x="{}" y="{}" width="{}" height="{}"', x, y, self.width, self.height)
            if nested
            else mark_safe('width="100%" xmlns="http://www.w3.org/2000/svg"')
        )
        return format_html(
            '<svg class="{css_class}" viewBox="0 0 {w} {h}" {size} role="img" '
            'aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
            "{body}</svg>",
            css_class=css_class,
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
        for index, reference in enumerate(self.references[: len(REFERENCE_DASHES)]):
            legend += format_html(
                '<line x1="10" x2="28" y1="{y}" y2="{y}" stroke="{c}" stroke-width="1.5" '
                'stroke-dasharray="{dash}"/>',
                y=f"{y - 4:.1f}",
                c=REFERENCE_COLOUR,
                dash=REFERENCE_DASHES[index],
            )
            detail = reference.detail or self.format_value(reference.value)
            text, y = svg_lines(f"{reference.name}: {detail}", 32, y, width=self.width, size=12)
            legend += text
        if self.has_qualified:
            legend += format_html(
                '<circle cx="19" cy="{}" r="4.5" fill="#fff" stroke="#1a1a1a" stroke-width="2"/>',
                f"{y - 4:.1f}",
            )
            text, y = svg_lines(
                _("a figure the source gives as more than, about or less than its value"),
                32,
                y,
                width=self.width,
                size=12,
            )
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

    @property
    def has_qualified(self) -> bool:
        """Some figure is "more than", "about" or "less than" its value: drawn hollow."""
        return any(not point.exact for series in self.series for point in series.points)

    def written(self, point: Point) -> str:
        """The figure as the page writes it, with its qualifier."""
        return point.text or self.format_value(point.value)

    def _describe(self) -> str:
        described = [self._describe_series(series) for series in self.series]
        described += [
            f"{reference.name}: {reference.detail or self.format_value(reference.value)}"
            for reference in self.references
        ]
        return "; ".join(described)

    def _describe_series(self, series: Series) -> str:
        def figure(point: Point) -> str:
            return f"{point.label or point.when}: {self.written(point)}"

        if len(series.points) <= self.max_dots:
            return f"{series.name}: " + ", ".join(figure(point) for point in series.points)
        points = sorted(series.points, key=lambda point: point.when)
        return _("%(series)s: %(count)d figures, from %(first)s to %(last)s") % {
            "series": series.name,
            "count": len(points),
            "first": figure(points[0]),
            "last": figure(points[-1]),
        }

    def _grid(self, ticks, y, left) -> str:
        size = self.font_size
        lines = [
            format_html(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#d0d0d0"/>'
                '<text class="chart-value" x="{tx}" y="{ty}" text-anchor="end" '
                'font-size="{size}" fill="#333">{label}</text>',
                x1=left,
                x2=self.width - self.right,
                y=_n(y(value)),
                tx=left - 6,
                ty=_n(y(value) + size * 0.35),  # centred on its line
                size=size,
                label=label,
            )
            for value, label in ticks
        ]
        if self.unit_label:
            # A line above the top value label (which reaches 0.55 em above the
            # plot's top), never on it.
            lines.append(
                format_html(
                    '<text class="chart-unit" x="4" y="{y}" font-size="{size}" fill="#333">'
                    "{label}</text>",
                    y=_n(self.top - size * 0.55 - size * 0.25 - 5),
                    size=size,
                    label=self.unit_label,
                )
            )
        return "".join(lines)

    def _time_axis(self, first: date, last: date, x, left) -> str:
        baseline = self.height - self.bottom
        if last.year - first.year >= 2:
            years = [date(year, 1, 1) for year in range(first.year + 1, last.year + 1)]
            # As many year labels as fit side by side.
            room = self.width - left - self.right
            fit = max(1, int(room // (text_width("2000", self.font_size) + 16)))
            step = -(-len(years) // fit)
            ticks = [(day, str(day.year), "middle") for day in years[::step]]
        elif first == last:
            ticks = [(first, first.isoformat(), "middle")]
        else:
            ticks = [(first, first.isoformat(), "start"), (last, last.isoformat(), "end")]
        axis = format_html(
            '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#333"/>',
            x1=left,
            x2=self.width - self.right,
            y=baseline,
        )
        return axis + "".join(
            format_html(
                '<line x1="{x}" x2="{x}" y1="{y1}" y2="{y2}" stroke="#333"/>'
                '<text x="{x}" y="{ty}" text-anchor="{anchor}" font-size="{size}" fill="#333">'
                "{label}</text>",
                x=_n(x(day)),
                y1=baseline,
                y2=baseline + 5,
                ty=baseline + 6 + self.font_size,
                anchor=anchor,
                size=self.font_size,
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

    def _references(self, x, y, left) -> str:
        """
        Each reference level as a dashed line across the plot, its shape at
        its date and its name and value written above the line (below it
        when there is no room, or when the previous label is in the way).
        """
        size = self.font_size
        plot_top, plot_bottom = self.top, self.height - self.bottom
        right = self.width - self.right
        drawn, taken = [], []
        for index, reference in enumerate(self.references[: len(REFERENCE_DASHES)]):
            level = y(reference.value)
            label = f"{reference.name}: {self.format_value(reference.value)}"
            where = x(reference.when) if reference.when else right
            width = text_width(label, size)
            # Beside its shape, on whichever side has room.
            if where - left > width + 14:
                anchor, tx = "end", where - 14
            else:
                anchor, tx = "start", min(where + 14, right - width)
            above, below = level - 5, level + size + 3
            ty = above if above - size >= plot_top else below
            for other in taken:
                if abs(other - ty) < size + 3:
                    ty = below if ty == above else above
            ty = min(max(ty, plot_top + size), plot_bottom - 3)
            taken.append(ty)
            # Hollow and larger than a dot, so that a figure at the same place shows inside.
            shape = (
                format_html(
                    '<rect x="{}" y="{}" width="14" height="14" fill="none" stroke="{}" '
                    'stroke-width="2"/>',
                    _n(where - 7),
                    _n(level - 7),
                    REFERENCE_COLOUR,
                )
                if index == 0
                else format_html(
                    '<path d="M{} {} l9 9 l-9 9 l-9 -9 z" fill="none" stroke="{}" '
                    'stroke-width="2"/>',
                    _n(where),
                    _n(level - 9),
                    REFERENCE_COLOUR,
                )
            )
            drawn.append(
                format_html(
                    '<g class="reference"><title>{title}</title>'
                    '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{c}" '
                    'stroke-width="1.5" stroke-dasharray="{dash}"/>{shape}'
                    '<text x="{tx}" y="{ty}" text-anchor="{anchor}" font-size="{size}" '
                    'fill="{c}" stroke="#fff" stroke-width="3" paint-order="stroke">'
                    "{label}</text></g>",
                    title=f"{reference.name}: {reference.detail or label}",
                    x1=left,
                    x2=right,
                    y=_n(level),
                    c=REFERENCE_COLOUR,
                    dash=REFERENCE_DASHES[index],
                    shape=shape if reference.when else "",
                    tx=_n(tx),
                    ty=_n(ty),
                    anchor=anchor,
                    size=size,
                    label=label,
                )
            )
        return "".join(drawn)

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
        # A qualified figure ("more than ...") is a hollow dot: not a point
        # the figure is known to be at.
        dots = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="4.5" fill="{}" stroke="{}" stroke-width="2">'
            "<title>{}</title></circle>",
            (
                (
                    _n(x(point.when)),
                    _n(y(point.value)),
                    colour if point.exact else "#fff",
                    colour,
                    f"{series.name}, {point.label or point.when}: {self.written(point)}",
                )
                for point in points
            ),
        )
        return format_html('<g class="series">{}{}</g>', path, dots)

    def _qualified_labels(self, x, y, left) -> str:
        """The few qualified figures written out beside their dots, qualifier first."""
        qualified = [
            point
            for series in self.series[:MAX_SERIES]
            if len(series.points) <= self.max_dots
            for point in series.points
            if not point.exact
        ]
        if not qualified or len(qualified) > MAX_WRITTEN_QUALIFIED:
            return ""
        size, right = self.font_size, self.width - self.right
        labels = []
        for point in qualified:
            text = self.written(point)
            width = text_width(text, size)
            cx, cy = x(point.when), y(point.value)
            # Centred over its dot, moved in to stay inside the plot; under it at the top.
            tx = min(max(cx - width / 2, left + 4), right - width)
            ty = cy - 10 if cy - 10 - size >= self.top else cy + 10 + size
            labels.append(
                format_html(
                    '<text class="qualified" x="{}" y="{}" font-size="{}" fill="#1a1a1a" '
                    'stroke="#fff" stroke-width="3" paint-order="stroke">{}</text>',
                    _n(tx),
                    _n(ty),
                    size,
                    text,
                )
            )
        return "".join(labels)

    def _legend(self) -> SafeString:
        extras = self.markers or self.references or self.has_qualified
        if self.compact or (len(self.series) < 2 and not extras):
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
        for index, reference in enumerate(self.references[: len(REFERENCE_DASHES)]):
            shape = (
                '<rect x="6" y="3" width="10" height="10" fill="#fff" stroke="{c}" '
                'stroke-width="2"/>'
                if index == 0
                else '<path d="M11 2 l6 6 l-6 6 l-6 -6 z" fill="#fff" stroke="{c}" '
                'stroke-width="2"/>'
            )
            items += format_html(
                '<li><svg width="22" height="16" aria-hidden="true"><line x1="0" x2="22" y1="8" '
                'y2="8" stroke="{c}" stroke-width="1.5" stroke-dasharray="{dash}"/>'
                + shape
                + "</svg> {name}: {detail}</li>",
                c=REFERENCE_COLOUR,
                dash=REFERENCE_DASHES[index],
                name=reference.name,
                detail=reference.detail or self.format_value(reference.value),
            )
        if self.has_qualified:
            items += format_html(
                '<li><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="4.5" '
                'fill="#fff" stroke="#1a1a1a" stroke-width="2"/></svg> {}</li>',
                _("a figure the source gives as more than, about or less than its value"),
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

    FIELDS = ("period_type", "period_start", "period_end", "value", "yoy_change", "value_qualifier")

    region: object
    period_type: str
    period_start: date
    period_end: date
    value: Decimal | None
    yoy_change: Decimal | None
    value_qualifier: str = Qualifier.EXACT

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
    references: Sequence[Reference] = (),
    width: int = 640,
    height: int = 280,
    compact: bool = False,
) -> Chart:
    """
    Chart a metric's observations: one line per region (and period type,
    when they mix, so that year-to-date sums are not joined to full years).
    Metrics reported only as changes are charted as changes, in percent.
    A figure is written with its qualifier ("more than 30 million yuan").
    `references` are levels to read the figures against (an outcome's
    baseline and target), in the metric's values.
    """
    from metrics.formatting import format_change, format_figure, format_number, scale_for

    observations = list(observations)
    with_values = [observation for observation in observations if observation.value is not None]
    if with_values:
        plotted = with_values

        def format_value(value, qualifier=Qualifier.EXACT):
            # Each figure in the scale its size calls for; the axis shares the display scale.
            return format_figure(value, unit=metric.unit, qualifier=qualifier)

        def point(observation):
            qualifier = observation.value_qualifier
            return Point(
                observation.period_end,
                observation.value,
                observation.period_label,
                text=format_value(observation.value, qualifier),
                qualifier=qualifier,
            )

        power, unit_label = scale_for(metric.unit, metric.display_scale)

        def format_tick(value):
            return format_number(value.scaleb(-power), decimals=1 if power else None)
    else:
        plotted = [obs for obs in observations if obs.yoy_change is not None]

        def format_value(value):
            return format_change(value)

        def point(observation):
            # The qualifier is the level's, not the change's.
            return Point(observation.period_end, observation.yoy_change, observation.period_label)

        unit_label = "% y/y"
        format_tick = format_value
        references = ()  # levels cannot be read against changes

    mixed_types = len({observation.period_type for observation in plotted}) > 1
    grouped: dict[tuple, Series] = {}
    for observation in sorted(plotted, key=lambda obs: (obs.region.path, obs.period_end)):
        key = (observation.region_id, observation.period_type if mixed_types else "")
        if key not in grouped:
            name = observation.region.name
            if mixed_types:
                name = f"{name} – {observation.get_period_type_display()}"
            grouped[key] = Series(name=name)
        grouped[key].points.append(point(observation))
    chart = Chart(
        title=title,
        series=list(grouped.values()),
        format_value=format_value,
        format_tick=format_tick,
        unit_label=unit_label,
        markers=markers,
        references=references,
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

    # The phone's drawing: each label on its own line above its bar, as
    # wide as a phone, so that its text is not scaled below 11 CSS px.
    narrow_width: int = 340

    def render(self) -> SafeString:
        """The chart drawn wide (labels beside the bars) and narrow for phones (labels above)."""
        if not self.bars:
            return SafeString("")
        chart_id = f"bars-{zlib.crc32(self.title.encode()):08x}"
        return SafeString(
            self._svg(chart_id, self._wide_rows(), self.width, self.height, "chart chart-wide")
            + self._svg(
                f"{chart_id}-narrow",
                self._narrow_rows(),
                self.narrow_width,
                self.gap + len(self.bars) * (self.bar_height + self.gap + 16),
                "chart chart-narrow",
            )
        )

    def _row(self, bar: Bar, *, label_x, label_y, anchor, top, x, length, number_x, number_y):
        row = format_html(
            "<title>{label}: {value}</title>"
            '<text x="{label_x}" y="{label_y}" text-anchor="{anchor}" font-size="12" '
            'fill="#333">{label}</text>'
            '<rect x="{x}" y="{top}" width="{length}" height="{height}" fill="{colour}"/>'
            '<text x="{number_x}" y="{number_y}" font-size="12" font-weight="bold" '
            'fill="#1a1a1a">{value}</text>',
            label=bar.label,
            value=bar.value,
            label_x=_n(label_x),
            label_y=_n(label_y),
            anchor=anchor,
            x=_n(x),
            top=_n(top),
            length=_n(length),
            height=self.bar_height,
            colour=bar.colour,
            number_x=_n(number_x),
            number_y=_n(number_y),
        )
        if bar.url:
            return format_html('<a href="{}">{}</a>', bar.url, row)
        return format_html("<g>{}</g>", row)

    def _wide_rows(self) -> list[str]:
        plot_width = self.width - self.label_width - self.number_width
        largest = max(bar.value for bar in self.bars) or 1
        rows = []
        for index, bar in enumerate(self.bars):
            top = self.gap + index * (self.bar_height + self.gap)
            middle = top + self.bar_height / 2 + 4
            length = plot_width * bar.value / largest
            rows.append(
                self._row(
                    bar,
                    label_x=self.label_width - 8,
                    label_y=middle,
                    anchor="end",
                    top=top,
                    x=self.label_width,
                    length=length,
                    number_x=self.label_width + length + 6,
                    number_y=middle,
                )
            )
        return rows

    def _narrow_rows(self) -> list[str]:
        plot_width = self.narrow_width - self.number_width
        largest = max(bar.value for bar in self.bars) or 1
        rows = []
        for index, bar in enumerate(self.bars):
            label_y = self.gap + index * (self.bar_height + self.gap + 16) + 12
            top = label_y + 4
            length = plot_width * bar.value / largest
            rows.append(
                self._row(
                    bar,
                    label_x=0,
                    label_y=label_y,
                    anchor="start",
                    top=top,
                    x=0,
                    length=length,
                    number_x=length + 6,
                    number_y=top + self.bar_height / 2 + 4,
                )
            )
        return rows

    def _svg(self, chart_id, rows, width, height, css_class) -> str:
        return format_html(
            '<svg class="{css_class}" viewBox="0 0 {w} {h}" width="100%" '
            'xmlns="http://www.w3.org/2000/svg" role="img" '
            'aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
            "{rows}</svg>",
            css_class=css_class,
            w=width,
            h=height,
            id=chart_id,
            title=self.title,
            desc=self.description or "; ".join(f"{bar.label}: {bar.value}" for bar in self.bars),
            rows=mark_safe("".join(rows)),  # each row comes from format_html
        )
