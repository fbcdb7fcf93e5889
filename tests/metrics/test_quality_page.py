"""
Flagged figures carry their flag wherever they appear, and the public
data-quality page lists every open warning with the figures it involves.

The demo's article breaks three rules: its rural share (31.3 %) is not
rural sales ÷ online sales (57.7 %), and the national growth derived from
it (+9.4 %) agrees with neither national figure the bureau reports.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import Metric, Observation, Region, violations_involving
from metrics.periods import Period
from tests.factories import ObservationFactory

pytestmark = pytest.mark.django_db

RURAL_SHARE = "rural-share-of-online-retail-sales"


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def rural_share_2020():
    return Observation.objects.get(
        metric__slug=RURAL_SHARE, region__code="140000", period_end=date(2020, 6, 30)
    )


def part_showing(html, start_marker, text):
    """The one part of the page between two `start_marker`s that shows `text`."""
    parts = [part for part in html.split(start_marker)[1:] if text in part]
    assert len(parts) == 1, f"{len(parts)} parts show {text}"
    return parts[0]


def assert_flagged(part, figure):
    assert '<ul class="warnings">' in part
    assert "57.7%" in part  # the message says what the figures should give
    assert f'href="{figure.get_absolute_url()}#checks-heading"' in part


@pytest.mark.usefixtures("shanxi_once")
class TestTheDemo:
    """Read-only checks of the demo, which they load once."""

    def test_the_home_card_of_the_rural_share_is_flagged_and_links_to_the_check(self, client):
        html = page(client, "/")
        figure = rural_share_2020()
        assert_flagged(
            part_showing(html, '<li class="card">', '<p class="figure">31.3%</p>'), figure
        )
        # A card of a figure that breaks no rule carries no flag.
        assert '<ul class="warnings">' not in part_showing(
            html, '<li class="card">', '<p class="figure">2.33 billion'
        )
        # The anchor the flag points to is the figure page's list of its checks.
        assert 'id="checks-heading"' in page(client, figure.get_absolute_url())

    def test_the_home_count_of_open_warnings_links_to_the_quality_page(self, client):
        html = page(client, "/")
        assert '<a href="/quality/">3 open data-quality warnings</a>' in html

    def test_the_shanxi_region_page_flags_the_rural_share(self, client):
        html = page(client, "/regions/140000/")
        assert_flagged(part_showing(html, "<tr>", 'data-label="Value">31.3%'), rural_share_2020())
        assert '<ul class="warnings">' not in part_showing(
            html, "<tr>", 'data-label="Value">2.33 billion'
        )

    def test_the_rural_infrastructure_program_flags_its_rural_share_outcome(self, client):
        html = page(client, "/programs/rural-ecommerce-infrastructure/")
        assert_flagged(
            part_showing(html, '<article class="outcome">', "<dd>31.3% ("), rural_share_2020()
        )

    def test_the_quality_page_lists_every_open_warning_with_its_figures(self, client):
        published = list(Observation.objects.published())
        violations = {
            id(violation): violation
            for found in violations_involving(published).values()
            for violation in found
        }.values()
        assert len(violations) == 3
        html = page(client, "/quality/")
        assert "3 open warnings." in html
        assert html.count('<li class="warning">') == 3
        for slug in [
            "rural-share-matches-sales",
            "derived-national-online-growth-matches-reported",
            "derived-national-online-growth-matches-physical-goods",
        ]:
            assert f'id="rule-{slug}"' in html
        assert "Rural share equals rural sales ÷ online sales × 100" in html
        assert "57.7%" in html and "+9.4%" in html
        for violation in violations:
            for figure in violation.observations:
                assert f'href="{figure.get_absolute_url()}"' in html
        # Each figure the page links to is public.
        for url in set(re.findall(r'href="(/figures/\d+/)"', html)):
            assert client.get(url).status_code == 200

    def test_the_quality_page_in_chinese(self, client):
        html = page(client, "/zh-hans/quality/")
        assert '<html lang="zh-Hans">' in html
        assert html.count('<li class="warning">') == 3
        assert "农村占比等于农村网络零售额÷网络零售额×100" in html  # the rule's Chinese name
        assert "国家统计局公布为" in html  # a rule's Chinese message
        assert f'href="/zh-hans/figures/{rural_share_2020().pk}/"' in html
        # Needs the merged catalogue: the page's own heading.
        assert "数据质量警告" in html


def test_the_quality_page_and_the_home_link_say_when_nothing_is_open(client, db):
    html = page(client, "/quality/")
    assert "No open warnings" in html
    assert 'href="/quality/"' in page(client, "/")  # the footer links it on every page


def add_flagged_figures(region_codes):
    """A late-2020 rural share, rural sales and online sales in each region that disagree."""
    metrics = {
        metric.slug: metric
        for metric in Metric.objects.filter(
            slug__in=[RURAL_SHARE, "rural-online-retail-sales", "online-retail-sales"]
        )
    }
    for region in Region.objects.filter(code__in=region_codes):
        for slug, value in [
            (RURAL_SHARE, Decimal("40.0")),
            ("rural-online-retail-sales", Decimal("5000000000")),
            ("online-retail-sales", Decimal("20000000000")),  # 25 %, not 40 %
        ]:
            ObservationFactory(
                published=True,
                metric=metrics[slug],
                region=region,
                period=Period.year_to_date(2020, 12),
                value=value,
                yoy_change=None,
            )


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/quality/",
        "/regions/140000/",
        "/programs/rural-ecommerce-infrastructure/",
        "/overview/",
    ],
)
def test_pages_mark_flagged_figures_in_a_fixed_number_of_queries(client, shanxi, url):
    small = query_count(client, url)
    add_flagged_figures(["140000", "140100", "140200", "141000"])
    assert query_count(client, url) == small
    # The new figures are flagged on the page too (the province's are the latest).
    html = page(client, url)
    if url != "/overview/":
        assert "25.0%" in html or "25%" in html


def test_the_quality_page_checks_the_figures_once_per_content_version(client, shanxi):
    """
    Checking every figure takes seconds on a large site: another address of
    the page (a made-up parameter, which the page cache keeps apart) shows
    the same check, and a change to the published figures starts a new one.
    """
    first = query_count(client, "/quality/")
    again = query_count(client, "/quality/?from=elsewhere")
    assert again < first
    add_flagged_figures(["140000"])
    assert query_count(client, "/quality/?from=another-page") == first
    html = page(client, "/quality/?from=yet-another-page")
    assert "25.0%" in html or "25%" in html
