"""Server-drawn SVG charts: every figure readable while few, a plain line when many."""

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from metrics.charts import (
    MAX_DOTS_PER_SERIES,
    MAX_DOTS_PER_SPARKLINE,
    NARROW_WIDTH,
    Chart,
    ChartFigure,
    Point,
    Reference,
    Series,
    observation_chart,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def monthly(count: int) -> Series:
    points = [
        Point(date(2000 + month // 12, month % 12 + 1, 28), Decimal(100 + month), f"M{month}")
        for month in range(count)
    ]
    return Series(name="Linfen", points=points)


def drawings(chart: Chart) -> list[ET.Element]:
    """The chart's <svg> drawings: the wide one, then the phones' one (compact: one)."""
    root = ET.fromstring(f"<root>{chart.render()}</root>")
    return root.findall(f"{SVG}svg")


def texts(drawing: ET.Element, **attributes) -> list[ET.Element]:
    return [
        text
        for text in drawing.iter(f"{SVG}text")
        if all(text.get(name) == value for name, value in attributes.items())
    ]


def box(text: ET.Element) -> tuple[float, float, float, float]:
    """Where a label is drawn, about: left, top, right, bottom (a full em above the baseline)."""
    size = float(text.get("font-size"))
    x, y = float(text.get("x")), float(text.get("y"))
    width = text_width(text.text or "", size)
    left = {"end": x - width, "middle": x - width / 2}.get(text.get("text-anchor"), x)
    return left, y - size, left + width, y + size * 0.25


def overlap(first, second) -> bool:
    a, b = box(first), box(second)
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize(
    ("compact", "most"), [(False, MAX_DOTS_PER_SERIES), (True, MAX_DOTS_PER_SPARKLINE)]
)
def test_each_figure_has_a_dot_with_its_value_until_there_are_too_many(compact, most):
    few = Chart(title="Online retail sales", series=[monthly(most)], compact=compact)
    drawn = few.render()
    for drawing in drawings(few):
        assert len(list(drawing.iter(f"{SVG}circle"))) == most
    assert "<title>Linfen, M0: 100</title>" in drawn
    assert f"M{most - 1}: {100 + most - 1}" in drawn  # the description reads every figure

    many = Chart(title="Online retail sales", series=[monthly(most + 1)], compact=compact)
    drawn = many.render()
    assert "<circle" not in drawn
    assert drawn.count("<polyline") == len(drawings(many))
    assert f"Linfen: {most + 1} figures, from M0: 100 to M{most}: {100 + most}" in drawn


def test_phones_get_a_drawing_of_their_own_with_its_own_labels():
    chart = Chart(title="Online retail sales", series=[monthly(24)], unit_label="yuan")
    wide, narrow = drawings(chart)
    assert wide.get("class") == "chart chart-wide"
    assert narrow.get("class") == "chart chart-narrow"
    assert narrow.get("viewBox") == f"0 0 {NARROW_WIDTH} 260"
    # Each is labelled by its own title and description: no id is used twice.
    assert wide.get("aria-labelledby") != narrow.get("aria-labelledby")
    # Drawn at about its own width, a phone's labels are as large as the wide chart's.
    assert {text.get("font-size") for text in narrow.iter(f"{SVG}text")} == {"12"}


@pytest.mark.parametrize("unit", ["billion yuan", "亿元", "% y/y"])
def test_the_unit_is_written_above_the_top_value_label_not_on_it(unit):
    chart = Chart(
        title="Online retail sales",
        series=[monthly(12)],
        unit_label=unit,
        format_value=lambda value: f"{value:,.1f}",
    )
    for drawing in drawings(chart):
        (unit_label,) = texts(drawing, **{"class": "chart-unit"})
        value_labels = texts(drawing, **{"class": "chart-value"})
        top = min(value_labels, key=lambda text: float(text.get("y")))
        assert box(unit_label)[3] < box(top)[1]  # its bottom above the top label's top
        assert box(unit_label)[1] >= 0  # and inside the drawing


def test_value_labels_fit_left_of_the_plot_however_long():
    series = Series("Linfen", [Point(date(2020, 6, 30), Decimal("123456789"))])
    chart = Chart(title="Count", series=[series], format_value=lambda value: f"{value:,}")
    for drawing in drawings(chart):
        for label in texts(drawing, **{"class": "chart-value"}):
            assert box(label)[0] >= 0


def test_year_labels_on_a_phone_are_thinned_so_that_they_do_not_touch():
    chart = Chart(title="Online retail sales", series=[monthly(12 * 20)])
    for drawing in drawings(chart):
        years = texts(drawing, **{"text-anchor": "middle"})
        assert len(years) > 1
        for first, second in zip(years, years[1:], strict=False):
            assert not overlap(first, second)


def outcome_chart(baseline: Decimal, target: Decimal) -> Chart:
    series = Series(
        "Shanxi",
        [
            Point(date(2019, 12, 31), Decimal("25.6"), "2019"),
            Point(date(2020, 6, 30), Decimal("31.3"), "Jan–Jun 2020"),
        ],
    )
    return Chart(
        title="Rural share of online retail sales in Shanxi",
        series=[series],
        format_value=lambda value: f"{value}%",
        unit_label="%",
        references=[
            Reference("Baseline", baseline, date(2019, 12, 31), f"{baseline}% (2019)"),
            Reference("Target", target, date(2022, 12, 31), f"{target}% (2022)"),
        ],
    )


def test_an_outcome_chart_draws_marks_and_describes_its_baseline_and_target():
    chart = outcome_chart(Decimal("25.6"), Decimal("45"))
    drawn = chart.render()

    for drawing in drawings(chart):
        references = drawing.findall(f"{SVG}g[@class='reference']")
        assert [g.find(f"{SVG}title").text for g in references] == [
            "Baseline: 25.6% (2019)",
            "Target: 45% (2022)",
        ]
        assert [g.find(f"{SVG}text").text for g in references] == [
            "Baseline: 25.6%",
            "Target: 45%",
        ]
        # The scale reaches the target, and the time axis its date.
        value_labels = [
            float(t.text.rstrip("%")) for t in texts(drawing, **{"class": "chart-value"})
        ]
        assert max(value_labels) >= 45
        target_line = references[1].find(f"{SVG}line")
        target_shape = references[1].find(f"{SVG}path")
        assert float(target_shape.get("d")[1:].split()[0]) == float(target_line.get("x2"))
    # Told apart without colour: dashes and shapes differ, and the legend names both.
    assert "Baseline: 25.6% (2019); Target: 45% (2022)" in drawn  # the description
    legend = drawn[drawn.index('<ul class="chart-legend">') :]
    assert "Baseline: 25.6% (2019)" in legend and "Target: 45% (2022)" in legend


def test_close_baseline_and_target_labels_do_not_overlap():
    chart = outcome_chart(Decimal("25.6"), Decimal("26"))
    for drawing in drawings(chart):
        baseline, target = (
            g.find(f"{SVG}text") for g in drawing.findall(f"{SVG}g[@class='reference']")
        )
        assert not overlap(baseline, target)


def campaign_chart(language: str) -> Chart:
    metric = SimpleNamespace(unit="yuan", display_scale=6)
    linfen = SimpleNamespace(pk=1, path="140000/141000", name="Linfen")
    figure = ChartFigure(
        linfen,
        "custom",
        date(2020, 5, 1),
        date(2020, 5, 10),
        Decimal("30000000"),
        None,
        "more_than",
    )
    with translation.override(language):
        return observation_chart(metric, [figure], title="Sales through livestreaming")


@pytest.mark.parametrize(
    ("language", "written"), [("en", "more than 30 million yuan"), ("zh-hans", "超过3,000万元")]
)
def test_a_qualified_figure_is_written_with_its_qualifier(language, written):
    with translation.override(language):
        chart = campaign_chart(language)
    for drawing in drawings(chart):
        assert drawing.find(f"{SVG}desc").text.endswith(f": {written}")
        (dot,) = drawing.iter(f"{SVG}circle")
        assert dot.find(f"{SVG}title").text.endswith(f": {written}")
        assert dot.get("fill") == "#fff"  # hollow: not a point the figure is known to be at
        assert [text.text for text in texts(drawing, **{"class": "qualified"})] == [written]
