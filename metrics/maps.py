"""
Choropleth maps drawn on the server as SVG, as the charts are.

A map colours the regions below one region by a figure (or a count),
from the outlines stored with the regions (metrics.models.RegionOutline):
no tiles, no script and nothing fetched from elsewhere, so it reads without
JavaScript, prints, passes the Content-Security Policy and can be saved as
an image (metrics.figures). Each region is a link to its page; regions
without a figure are hatched and named as such in the legend; the figures
are also given as a table for screen readers.
"""

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from metrics.translation import is_chinese

# A sequential single-hue scale (ColorBrewer "Blues"), light for low: it
# reads in greyscale and for every kind of colour blindness.
CLASS_COLOURS = {
    1: ["#3182bd"],
    2: ["#9ecae1", "#3182bd"],
    3: ["#deebf7", "#9ecae1", "#3182bd"],
    4: ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"],
    5: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
}
MAX_CLASSES = len(CLASS_COLOURS)
NO_FIGURE_GREY = "#9a9a9a"
OUTLINE_ONLY = "#e8eef4"
# Names are written on the map while they fit; past this many regions a
# name is in the region's tooltip and the table only.
MAX_NAMED_AREAS = 20
# An inline map is drawn this wide (and at most this tall) in its own units,
# so that on a phone its names are still about 9 pixels high.
INLINE_WIDTH = 420
# Region names, in the drawing's units: the inline map is drawn 420 wide and
# shown at most that wide, down to about 340 px on a phone, where 13.5
# units still read as 11 CSS px.
NAME_SIZE = 13.5
INLINE_MAX_HEIGHT = 560


# Saved images and embeds are read by other programs: name fonts that write Chinese.
STANDALONE_FONT = (
    "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
)


def svg_lines(
    text: str,
    x: float,
    y: float,
    *,
    width: int,
    size: int,
    colour: str = "#1a1a1a",
    bold: bool = False,
) -> tuple[SafeString, float]:
    """`text` wrapped to an image `width` wide, one <text> a line, and the baseline after it."""
    drawn = SafeString("")
    weight = mark_safe(' font-weight="bold"') if bold else ""
    for line in wrapped(text, (width - x - 12) / size):
        drawn += format_html(
            '<text x="{}" y="{}" font-size="{}" fill="{}"{}>{}</text>',
            x,
            f"{y:.1f}",
            size,
            colour,
            weight,
            line,
        )
        y += size * 1.4
    return drawn, y


def map_label(name: str) -> str:
    """
    A region's name as written on a map: "Xiangning", not "Xiangning County",
    so that neighbours' names do not run into each other (the tooltip and
    the table keep the full name). Chinese names are short already.
    """
    for suffix in (" County", " District"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


def wrapped(text: str, ems: float) -> list[str]:
    """
    `text` cut into lines of about `ems` font sizes: an SVG <text> does not
    wrap. A Chinese character is one em wide, a Latin letter about half;
    English breaks at spaces, Chinese anywhere.
    """
    lines, line, width = [], "", 0.0
    for word in _words(text):
        size = sum(1.0 if ord(char) > 0x2E7F else 0.55 for char in word)
        if line and width + size > ems:
            lines.append(line.rstrip())
            line, width = word.lstrip(), size
        else:
            line, width = line + word, width + size
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _words(text: str):
    word = ""
    for char in text:
        if ord(char) > 0x2E7F:  # CJK: a line may break before any character
            if word:
                yield word
            yield char
            word = ""
        elif char == " ":
            yield word + " "
            word = ""
        else:
            word += char
    if word:
        yield word


@dataclass
class MapArea:
    """A region on the map: its outline, its figure (or none) and how that figure reads."""

    code: str
    name: str
    url: str
    outline: object  # a RegionOutline
    value: Decimal | None = None
    label: str = ""  # the figure as written, with its qualifier: "more than 30 million yuan"
    note: str = ""  # e.g. the period, when a region's figure is for another one


@dataclass
class MapClass:
    low: Decimal
    high: Decimal
    colour: str
    count: int = 0


def quantile_classes(values: Sequence[Decimal], *, most: int = MAX_CLASSES) -> list[MapClass]:
    """
    Up to `most` classes holding about as many regions each (quantiles of
    the values shown), fewer when there are fewer distinct values; each
    class runs from its lowest to its highest value.
    """
    ordered = sorted(values)
    distinct = sorted(set(ordered))
    if not distinct:
        return []
    count = min(most, len(distinct))
    groups: list[list[Decimal]] = []
    # Cut the ordered values into `count` runs by rank, never splitting equal values.
    start = 0
    for index in range(count):
        end = round(len(ordered) * (index + 1) / count)
        end = max(end, start + 1)
        while end < len(ordered) and ordered[end] == ordered[end - 1]:
            end += 1
        if start < len(ordered):
            groups.append(ordered[start:end])
        start = end
    colours = CLASS_COLOURS[len(groups)]
    return [
        MapClass(group[0], group[-1], colour, len(group))
        for group, colour in zip(groups, colours, strict=True)
    ]


@dataclass
class ChoroplethMap:
    """The regions below one region, coloured by a figure; `render()` returns an inline <svg>."""

    title: str
    areas: list[MapArea]
    region_name: str = ""  # the region whose regions below are drawn
    period: str = ""
    format_value: Callable[[Decimal], str] = str
    credit: str = ""  # sources and date, written into the image
    boundaries: str = ""  # where the outlines come from
    width: int = 640
    max_map_height: int = 480
    classes: list[MapClass] = field(init=False)
    has_lower_bounds: bool = False  # some figure is "more than" its value

    def __post_init__(self):
        self.classes = quantile_classes(
            [area.value for area in self.areas if area.value is not None]
        )

    @property
    def has_figures(self) -> bool:
        return bool(self.classes)

    @property
    def missing(self) -> list[MapArea]:
        return [area for area in self.areas if area.value is None]

    def class_of(self, value: Decimal) -> MapClass:
        for map_class in self.classes:
            if value <= map_class.high:
                return map_class
        return self.classes[-1]

    def colour_of(self, area: MapArea) -> str | None:
        if area.value is None:
            return None
        return self.class_of(area.value).colour

    @property
    def rule(self) -> str:
        """How the classes were made, as the legend states it."""
        if not self.has_figures:
            return ""
        shown = len(self.areas) - len(self.missing)
        rule = ngettext(
            "One class: only %(count)d region has a figure.",
            "Classes: quantiles of the %(count)d regions with a figure "
            "(about as many in each class).",
            shown,
        ) % {"count": shown}
        if self.has_lower_bounds:
            rule += ("" if is_chinese() else " ") + _(
                "A figure given as “more than” is placed by the figure stated; "
                "it may belong in a higher class."
            )
        return rule

    def class_label(self, map_class: MapClass) -> str:
        if map_class.low == map_class.high:
            return self.format_value(map_class.low)
        return _("%(low)s to %(high)s") % {
            "low": self.format_value(map_class.low),
            "high": self.format_value(map_class.high),
        }

    @property
    def legend(self) -> list[tuple[str, str]]:
        """(colour, label) for each class, then the hatching of regions with no figure."""
        rows = [(c.colour, self.class_label(c)) for c in self.classes]
        if self.missing and self.has_figures:
            names = ("、" if is_chinese() else ", ").join(area.name for area in self.missing)
            rows.append(("hatched", _("No figure: %(regions)s") % {"regions": names}))
        return rows

    @property
    def uid(self) -> str:
        key = "|".join([self.title, self.period, *(area.code for area in self.areas)])
        return f"map-{zlib.crc32(key.encode()):08x}"

    def description(self) -> str:
        """The map in words, for the image's <desc>: every region and its figure."""
        parts = [f"{area.name}: {area.label or _('no figure')}{area.note}" for area in self.areas]
        return "; ".join(parts)

    def _layout(self, width: int, max_height: int):
        outlines = [area.outline for area in self.areas]
        west = min(outline.min_x for outline in outlines)
        east = max(outline.max_x for outline in outlines)
        north = min(outline.min_y for outline in outlines)
        south = max(outline.max_y for outline in outlines)
        margin = 8
        map_width = width - 2 * margin
        scale = min(map_width / max(east - west, 1), max_height / max(south - north, 1))
        drawn_width, drawn_height = (east - west) * scale, (south - north) * scale
        left = margin + (map_width - drawn_width) / 2
        return west, north, scale, left, drawn_height

    def svg(self, *, standalone: bool = False) -> SafeString:
        """
        The map as SVG: inline in a page (the regions alone, narrow enough to
        read on a phone; the page writes the title, legend and sources in
        text), or (`standalone`) a document of its own with all of them in
        the image, a white ground and a named font, as saved and embedded.
        """
        if not self.areas:
            return SafeString("")
        uid = self.uid
        if standalone:
            width = self.width
            header, top = svg_lines(self.title, 12, 22, width=width, size=16, bold=True)
            if self.period:
                period, top = svg_lines(self.period, 12, top, width=width, size=13, colour="#444")
                header += period
            top -= 6
            west, north, scale, left, drawn_height = self._layout(width, self.max_map_height)
        else:
            width, header, top = INLINE_WIDTH, SafeString(""), 6
            west, north, scale, left, drawn_height = self._layout(width, INLINE_MAX_HEIGHT)
        stroke = 0.7 / scale  # under a pixel, whatever the scale
        hatch = 7 / scale
        defs = format_html(
            '<defs><pattern id="{uid}-none" patternUnits="userSpaceOnUse" width="{s}" '
            'height="{s}" patternTransform="rotate(45)"><rect width="{s}" height="{s}" '
            'fill="#f4f4f4"/><line x1="0" y1="0" x2="0" y2="{s}" stroke="{grey}" '
            'stroke-width="{w}"/></pattern>'
            '<pattern id="{uid}-key" patternUnits="userSpaceOnUse" width="7" height="7" '
            'patternTransform="rotate(45)"><rect width="7" height="7" fill="#f4f4f4"/>'
            '<line x1="0" y1="0" x2="0" y2="7" stroke="{grey}" stroke-width="2"/></pattern></defs>',
            uid=uid,
            s=f"{hatch:.3f}",
            w=f"{hatch / 3.5:.3f}",
            grey=NO_FIGURE_GREY,
        )
        shapes = []
        for area in self.areas:
            colour = self.colour_of(area)
            if colour is None:
                colour = f"url(#{uid}-none)" if self.has_figures else OUTLINE_ONLY
            tooltip = f"{area.name}: {area.label}{area.note}" if area.label else area.name
            if self.has_figures and not area.label:
                tooltip = f"{area.name}: {_('no figure')}"
            shapes.append(
                format_html(
                    '<a href="{url}"><path d="{d}" fill="{fill}" fill-rule="evenodd" '
                    'stroke="#5b6b7b" stroke-width="{w}"><title>{tooltip}</title></path></a>',
                    url=area.url,
                    d=area.outline.path_data,
                    fill=colour,
                    w=f"{stroke:.3f}",
                    tooltip=tooltip,
                )
            )
        names = SafeString("")
        if len(self.areas) <= MAX_NAMED_AREAS:
            names = format_html_join(
                "",
                # Names let clicks through to the region's link beneath them.
                '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="#1a1a1a" '
                'stroke="#ffffff" stroke-width="{}" paint-order="stroke" '
                'pointer-events="none">{}</text>',
                (
                    (
                        f"{area.outline.label_x:.1f}",
                        f"{area.outline.label_y:.1f}",
                        f"{NAME_SIZE / scale:.3f}",
                        f"{NAME_SIZE / 4 / scale:.3f}",
                        map_label(area.name),
                    )
                    for area in self.areas
                ),
            )
        body = format_html(
            '<g transform="translate({x} {y}) scale({s}) translate({dx} {dy})">{shapes}{names}</g>',
            x=f"{left:.1f}",
            y=f"{top:.1f}",
            s=f"{scale:.5f}",
            dx=f"{-west:.1f}",
            dy=f"{-north:.1f}",
            shapes=mark_safe("".join(shapes)),  # each from format_html
            names=names,
        )
        legend, credit, y = SafeString(""), SafeString(""), top + drawn_height + 6
        if standalone:
            legend, y = self._legend(uid, y + 16)
            for line in (self.credit, self.boundaries):
                if line:
                    text, y = svg_lines(line, 12, y, width=width, size=11, colour="#555")
                    credit += text
        height = int(y + 4)
        document = ' xmlns="http://www.w3.org/2000/svg"'
        if standalone:
            # Saved files and embeds are read by other programs: name a font
            # that writes Chinese, and give them a white ground to sit on.
            document += f' font-family="{STANDALONE_FONT}"'
            header = mark_safe('<rect width="100%" height="100%" fill="#ffffff"/>') + header
        return format_html(
            '<svg class="map" viewBox="0 0 {w} {h}" width="{width}" height="{height}" role="img" '
            'aria-labelledby="{id}-title {id}-desc"{doc}><title id="{id}-title">{title}</title>'
            '<desc id="{id}-desc">{desc}</desc>{defs}{header}{body}{legend}{credit}</svg>',
            w=width,
            h=height,
            width=width if standalone else "100%",
            height=height if standalone else "auto",
            id=uid,
            doc=mark_safe(document),
            title=f"{self.title} – {self.period}" if self.period else self.title,
            desc=self.description(),
            defs=defs,
            header=header,
            body=body,
            legend=legend,
            credit=credit,
        )

    def render(self) -> SafeString:
        return self.svg()

    def legend_html(self) -> SafeString:
        """The legend as the page writes it beside the inline map: a swatch and a label a row."""
        swatches = SafeString("")
        for colour, label in self.legend:
            if colour == "hatched":
                fill = f"url(#{self.uid}-swatch)"
                pattern = format_html(
                    '<defs><pattern id="{}-swatch" patternUnits="userSpaceOnUse" width="5" '
                    'height="5" patternTransform="rotate(45)"><rect width="5" height="5" '
                    'fill="#f4f4f4"/><line x1="0" y1="0" x2="0" y2="5" stroke="{}" '
                    'stroke-width="1.6"/></pattern></defs>',
                    self.uid,
                    NO_FIGURE_GREY,
                )
            else:
                fill, pattern = colour, SafeString("")
            swatches += format_html(
                '<li><svg width="16" height="12" aria-hidden="true">{}<rect width="16" '
                'height="12" fill="{}" stroke="#5b6b7b" stroke-width="0.5"/></svg> {}</li>',
                pattern,
                fill,
                label,
            )
        return format_html('<ul class="chart-legend map-legend">{}</ul>', swatches)

    def _legend(self, uid: str, y: float) -> tuple[SafeString, float]:
        rows = SafeString("")
        for colour, label in self.legend:
            fill = f"url(#{uid}-key)" if colour == "hatched" else colour
            rows += format_html(
                '<rect x="12" y="{}" width="16" height="12" fill="{}" stroke="#5b6b7b" '
                'stroke-width="0.5"/>',
                f"{y - 10:.1f}",
                fill,
            )
            text, y = svg_lines(label, 34, y, width=self.width, size=12)
            rows += text
            y += 4
        if self.rule:
            text, y = svg_lines(self.rule, 12, y + 2, width=self.width, size=11, colour="#555")
            rows += text
            y += 6
        return rows, y


def credit_line(sources) -> str:
    """Where the figures come from and when the image was drawn, as written into it."""
    sources = sorted({source for source in sources if source is not None}, key=str)
    cited = "; ".join(f"{source.title} ({source.published_on:%Y-%m-%d})" for source in sources)
    today = f"{timezone.localdate():%Y-%m-%d}"
    if not cited:
        return _("Drawn on %(date)s.") % {"date": today}
    return _("Source: %(sources)s. Drawn on %(date)s.") % {"sources": cited, "date": today}


def _boundaries(regions) -> str:
    outline = regions[0].outline
    return _("Boundaries: %(source)s, simplified to %(km)s km.") % {
        "source": outline.source,
        "km": f"{outline.tolerance_km:g}",
    }


def _area(region, **figure) -> MapArea:
    return MapArea(
        code=region.code,
        name=region.name,
        url=region.get_absolute_url(),
        outline=region.outline,
        **figure,
    )


def region_to_map(filterset):
    """
    The region whose regions below a page maps: the one its filters chose,
    or else the top region with more than one region below it on a map.
    """
    from metrics.models import Region

    valid = filterset.is_bound and filterset.is_valid()
    chosen = filterset.form.cleaned_data.get("region") if valid else None
    return chosen if isinstance(chosen, Region) else Region.objects.map_root()


def figure_map(metric, region, observations) -> ChoroplethMap | None:
    """
    The regions right below `region` coloured by their figures of `metric`
    for the latest period any of them has among `observations` (published,
    already filtered as the page is): None unless two regions below have outlines.
    """
    from metrics.models import Region
    from metrics.periods import Period

    children = list(Region.objects.mapped_below(region))
    if len(children) < 2:  # one region alone is no map worth drawing
        return None
    figures = observations.filter(region__in=children, value__isnull=False)
    latest = (
        figures.order_by("-period_end", "-period_start", "period_type")
        .values_list("period_type", "period_start", "period_end")
        .first()
    )
    shown = {}
    if latest is not None:
        period_type, start, end = latest
        in_period = figures.filter(period_type=period_type, period_start=start, period_end=end)
        # "quoted" sorts last: descending, a reported figure is shown before a derived one.
        ordered = in_period.select_related("source").order_by("region__path", "-basis", "pk")
        for figure in ordered:
            shown.setdefault(figure.region_id, figure)
    areas = []
    for child in children:
        figure = shown.get(child.pk)
        if figure is None:
            areas.append(_area(child))
        else:
            label = metric.format_value(figure.value, figure.value_qualifier)
            areas.append(_area(child, value=figure.value, label=label))
    return ChoroplethMap(
        title=_("%(metric)s in the regions of %(region)s")
        % {"metric": metric.name, "region": region.name},
        areas=areas,
        region_name=region.name,
        period=Period(*latest).label() if latest else "",
        format_value=metric.format_value,
        credit=credit_line(figure.source for figure in shown.values()),
        boundaries=_boundaries(children),
        has_lower_bounds=any(f.value_qualifier == "more_than" for f in shown.values()),
    )


class TooManyToCount:
    """No map: too many records match to count them by region (a page says so and why)."""

    too_many = True
    has_figures = False

    def __bool__(self):
        return False


TOO_MANY_TO_COUNT = TooManyToCount()


def count_map(
    title: str, region, count: Callable[[list], dict[str, int]], *, noun, source: str
) -> ChoroplethMap | None:
    """
    The regions right below `region` coloured by a count: `count(regions)`
    gives each region's by its code (a region missing from it counts 0),
    written with `noun(count)`, e.g. "3 programs"; TOO_MANY_TO_COUNT when
    `count` gives None (too many records to count them cheaply).
    """
    from metrics.models import Region

    children = list(Region.objects.mapped_below(region))
    if len(children) < 2:  # one region alone is no map worth drawing
        return None
    counts = count(children)
    if counts is None:
        return TOO_MANY_TO_COUNT
    areas = []
    for child in children:
        count = counts.get(child.code, 0)
        areas.append(_area(child, value=Decimal(count), label=noun(count)))
    return ChoroplethMap(
        title=title,
        areas=areas,
        region_name=region.name,
        format_value=lambda value: noun(int(value)),
        credit=_("Source: %(sources)s. Drawn on %(date)s.")
        % {"sources": source, "date": f"{timezone.localdate():%Y-%m-%d}"},
        boundaries=_boundaries(children),
    )
