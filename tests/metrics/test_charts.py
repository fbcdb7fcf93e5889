"""Server-drawn SVG charts: every figure readable while few, a plain line when many."""

from datetime import date
from decimal import Decimal

import pytest

from metrics.charts import MAX_DOTS_PER_SERIES, MAX_DOTS_PER_SPARKLINE, Chart, Point, Series


def monthly(count: int) -> Series:
    points = [
        Point(date(2000 + month // 12, month % 12 + 1, 28), Decimal(100 + month), f"M{month}")
        for month in range(count)
    ]
    return Series(name="Linfen", points=points)


@pytest.mark.parametrize(
    ("compact", "most"), [(False, MAX_DOTS_PER_SERIES), (True, MAX_DOTS_PER_SPARKLINE)]
)
def test_each_figure_has_a_dot_with_its_value_until_there_are_too_many(compact, most):
    few = Chart(title="Online retail sales", series=[monthly(most)], compact=compact).render()
    assert few.count("<circle") == most
    assert "<title>Linfen, M0: 100</title>" in few
    assert f"M{most - 1}: {100 + most - 1}" in few  # the description reads every figure

    many = Chart(title="Online retail sales", series=[monthly(most + 1)], compact=compact)
    drawn = many.render()
    assert "<circle" not in drawn
    assert drawn.count("<polyline") == 1
    assert f"Linfen: {most + 1} figures, from M0: 100 to M{most}: {100 + most}" in drawn
