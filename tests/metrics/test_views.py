"""The public metric pages: definitions, charts, figures with their checks, downloads."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import Metric, Region
from metrics.periods import Period
from tests.factories import ObservationFactory, RegionFactory

pytestmark = pytest.mark.django_db


def read_csv(response):
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


def add_monthly_series(metric, regions, years):
    for region in regions:
        for year in years:
            for month in range(2, 13):
                ObservationFactory(
                    published=True,
                    metric=metric,
                    region=region,
                    period=Period.year_to_date(year, month),
                    value=Decimal(1000 * month + year),
                    yoy_change=Decimal("5.0"),
                )


@pytest.mark.parametrize(
    "url",
    [
        "/metrics/",
        "/metrics/?category=online_retail&sort=-latest_period_end",
        "/metrics/online-retail-sales/",
        "/metrics/online-retail-sales/?region=140000&period_type=ytd&sort=-value",
        "/metrics/online-retail-sales/?year=2020&page=1",
        "/metrics/online-retail-sales/observations.csv",
    ],
)
def test_metric_pages_run_a_fixed_number_of_queries(client, shanxi, url):
    small = query_count(client, url)
    metric = Metric.objects.get(slug="online-retail-sales")
    shanxi_region = Region.objects.get(code="140000")
    cities = [RegionFactory(parent=shanxi_region) for _ in range(3)]
    add_monthly_series(metric, [shanxi_region, *cities], [2018, 2019])
    assert query_count(client, url) == small


def test_figures_show_scale_qualifier_reported_computed_and_national_change(client, shanxi):
    metric = Metric.objects.get(slug="online-retail-sales")
    shanxi_region = Region.objects.get(code="140000")
    # Last year's level makes the reported +23.7 % checkable: 10.77 / 8.00 is +34.6 %.
    ObservationFactory(
        published=True,
        metric=metric,
        region=shanxi_region,
        period=Period.year_to_date(2019, 6),
        value=Decimal("8000000000"),
        yoy_change=None,
    )
    html = client.get("/metrics/online-retail-sales/?region=140000").content.decode()

    assert "10.77 billion yuan" in html
    assert "+23.7%" in html
    assert "+34.6%" in html and "differs from reported" in html
    assert "+16.4 pp vs national" in html

    campaign = client.get("/metrics/livestream-campaign-sales/").content.decode()
    assert "more than 30 million yuan" in campaign


def test_reported_change_that_agrees_is_not_flagged(client, shanxi):
    metric = Metric.objects.get(slug="online-retail-sales")
    ObservationFactory(
        published=True,
        metric=metric,
        region=Region.objects.get(code="140000"),
        period=Period.year_to_date(2019, 6),
        value=Decimal("8706548100"),  # 10.77 / 8.7065481 = +23.7 %
        yoy_change=None,
    )
    html = client.get("/metrics/online-retail-sales/?region=140000").content.decode()
    assert "+23.7%" in html
    assert "differs from reported" not in html


def test_rule_violation_is_marked_on_the_figure(client, shanxi):
    html = client.get("/metrics/rural-share-of-online-retail-sales/").content.decode()
    assert '<ul class="warnings">' in html
    assert "57.7%" in html


def test_chart_draws_one_line_per_region(client, shanxi):
    metric = Metric.objects.get(slug="online-retail-sales")
    shanxi_region = Region.objects.get(code="140000")
    city = RegionFactory(parent=shanxi_region, name_en="Test City")
    add_monthly_series(metric, [shanxi_region, city], [2019])

    html = client.get("/metrics/online-retail-sales/?region=140000").content.decode()

    assert wide_chart(html).count("<polyline") == 2
    assert "Test City" in html
    assert "<title" in html and 'role="img"' in html


def wide_chart(html):
    """The chart as drawn for wide screens (phones get a second drawing of the same figures)."""
    return re.search(r'<svg class="chart chart-wide".*?</svg>', html, re.S).group(0)


def charted_labels(html):
    """The period labels of the chart's tooltips, or of its description when dots are left out."""
    desc = re.search(r"<desc [^>]*>(.*?)</desc>", html, re.S).group(1)
    return re.findall(r"\b(?:19|20)\d\d\b", desc)


def test_chart_follows_the_last_years_and_a_year_filter_charts_an_earlier_one(client, shanxi):
    metric = Metric.objects.get(slug="online-retail-sales")
    city = RegionFactory(parent=Region.objects.get(code="140000"), name_en="Test City")
    add_monthly_series(metric, [city], range(2008, 2020))

    html = client.get(f"/metrics/online-retail-sales/?region={city.code}").content.decode()
    # Twelve years of monthly figures: the last five are charted as one
    # line (55 points: too many dots to tell apart), and the description
    # sums the line up instead of reading out every figure.
    assert wide_chart(html).count("<polyline") == 1
    assert "<circle" not in html
    assert "Test City: 55 figures, from Jan–Feb 2015" in html
    assert "to Jan–Dec 2019" in html
    assert "last 5 years" in html

    earlier = client.get(
        f"/metrics/online-retail-sales/?region={city.code}&year=2009"
    ).content.decode()
    assert wide_chart(earlier).count("<polyline") == 1
    assert set(charted_labels(earlier)) == {"2009"}
    assert wide_chart(earlier).count("<circle") == 11  # a year's figures keep their dots


def test_chart_regions_are_those_with_figures_in_the_charted_years(client, shanxi):
    metric = Metric.objects.get(slug="online-retail-sales")
    city = RegionFactory(parent=Region.objects.get(code="140000"), name_en="Test City")
    counties = [
        RegionFactory(parent=city, level=Region.Level.COUNTY, name_en=f"County {n}")
        for n in range(9)
    ]
    # The first eight counties in tree order reported long ago; the ninth lately.
    add_monthly_series(metric, counties[:8], [2008])
    add_monthly_series(metric, counties[8:], [2019])

    html = client.get(f"/metrics/online-retail-sales/?region={city.code}").content.decode()

    assert wide_chart(html).count("<polyline") == 1
    assert "County 8" in wide_chart(html)
    assert set(charted_labels(html)) == {"2019"}


def test_metric_export_holds_the_filtered_figures(client, shanxi):
    rows = read_csv(client.get("/metrics/online-retail-sales/observations.csv?region=140000"))
    header, figures = rows[0], rows[1:]
    assert header[:3] == ["Period", "Region", "Value"]
    assert len(figures) == 1
    record = dict(zip(header, figures[0], strict=True))
    assert record["Value"] == "10.77 billion yuan"
    assert record["Value in units"] == "10770000000.000000"
    assert record["Region code"] == "140000"
    assert record["Period start"] == "2020-01-01" and record["Period end"] == "2020-06-30"
    assert record["Quoted sentence"].startswith("From January to June")

    share_rows = read_csv(
        client.get("/metrics/rural-share-of-online-retail-sales/observations.csv")
    )
    checks = dict(zip(share_rows[0], share_rows[1], strict=True))["Checks"]
    assert "57.7%" in checks


def test_metric_list_filters_and_hides_unknown_metrics(client, shanxi):
    html = client.get("/metrics/?category=rural_ecommerce").content.decode()
    assert "Rural online retail sales" in html
    assert "Online retail sales of agricultural products" not in html
    assert client.get("/metrics/no-such-metric/").status_code == 404


def test_chinese_metric_page_uses_chinese_scale(client, shanxi):
    html = client.get("/zh-hans/metrics/online-retail-sales/").content.decode()
    assert "107.7亿元" in html
    assert "2020年1-6月" in html


def test_a_metric_page_writes_each_figure_in_its_own_scale(client, shanxi):
    metric = Metric.objects.get(slug="online-retail-sales")  # shown in billions on its chart
    ObservationFactory(
        published=True,
        metric=metric,
        region=Region.objects.get(code="141000"),
        period=Period.year_to_date(2020, 6),
        value=Decimal("85000000"),
        yoy_change=Decimal("-5.9"),
    )
    html = client.get("/metrics/online-retail-sales/").content.decode()
    assert "85 million yuan" in html and "0.085 billion" not in html
    assert "-5.9%" in html
    assert "yuan; charts in billion yuan" in html
    chinese = client.get("/zh-hans/metrics/online-retail-sales/").content.decode()
    assert "8,500万元" in chinese and "0.85亿" not in chinese
    assert "元；图表以亿元为单位" in chinese  # needs the new catalogue entry


def test_year_filter_matches_the_period_end(client, shanxi):
    rows = read_csv(
        client.get("/metrics/rural-share-of-online-retail-sales/observations.csv?year=2019")
    )
    assert [row[9] for row in rows[1:]] == [date(2019, 1, 1).isoformat()]
