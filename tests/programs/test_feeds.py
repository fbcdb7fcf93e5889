"""
Atom feeds of new and corrected figures and programs: for the whole site,
a metric, a region and below, a program; valid Atom (RFC 4287), in both
languages, and up to date the moment a figure is published or corrected.
"""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics.models import Observation
from metrics.periods import Period
from programs.models import Program
from tests.factories import (
    CountyFactory,
    ObservationFactory,
    OutcomeFactory,
    ProgramFactory,
    RegionFactory,
)

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
ABSOLUTE_IRI = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$")


def atom(client, url) -> ET.Element:
    """The feed at `url`, checked against what RFC 4287 requires of a feed and its entries."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for element in (feed, *feed.findall(f"{ATOM}entry")):
        for required in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{required}")) == 1, (required, url)
        assert ABSOLUTE_IRI.match(element.findtext(f"{ATOM}id")), element.findtext(f"{ATOM}id")
        assert element.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http")
    assert feed.find(f"{ATOM}author/{ATOM}name").text  # no entry has its own
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"http://testserver{url}"
    ids = [entry.findtext(f"{ATOM}id") for entry in feed.findall(f"{ATOM}entry")]
    assert len(ids) == len(set(ids))
    return feed


def titles(feed) -> list[str]:
    return [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]


def test_the_site_feed_holds_the_demo_newest_first(client, shanxi):
    feed = atom(client, "/feed/")
    published = Observation.objects.published().count() + Program.objects.published().count()
    assert len(titles(feed)) == published
    assert "Online retail sales, Shanxi, Jan–Jun 2020: 10.77 billion yuan" in titles(feed)
    assert "New program: Cooperation with internet platforms" in titles(feed)
    updated = [entry.findtext(f"{ATOM}updated") for entry in feed.findall(f"{ATOM}entry")]
    assert updated == sorted(updated, reverse=True)


def test_a_publication_and_a_correction_each_appear_at_once(client):
    region = RegionFactory()
    figure = ObservationFactory(region=region, value=Decimal("10770000000"))
    url = f"/regions/{region.code}/feed/"
    assert titles(atom(client, url)) == []  # a draft is nobody's news
    Observation.objects.filter(pk=figure.pk).update(
        publication_state="published", published_at=timezone.now() - timedelta(days=1)
    )
    [first] = atom(client, url).findall(f"{ATOM}entry")
    assert first.findtext(f"{ATOM}title").endswith(": 10.77 billion yuan")
    # A reviewed correction sets revised_at: a new entry, with a new id.
    Observation.objects.filter(pk=figure.pk).update(
        value=Decimal("11000000000"), revised_at=timezone.now()
    )
    [corrected] = atom(client, url).findall(f"{ATOM}entry")
    assert corrected.findtext(f"{ATOM}title").startswith("Corrected: ")
    assert corrected.findtext(f"{ATOM}title").endswith(": 11 billion yuan")
    assert corrected.findtext(f"{ATOM}id") != first.findtext(f"{ATOM}id")
    assert corrected.findtext(f"{ATOM}updated") > first.findtext(f"{ATOM}updated")
    assert corrected.findtext(f"{ATOM}published") == first.findtext(f"{ATOM}published")


def test_a_region_feed_covers_the_regions_below_it_and_nothing_else(client):
    city = RegionFactory()
    county = CountyFactory(parent=city)
    elsewhere = RegionFactory(parent=city.parent)
    ObservationFactory(published=True, region=county)
    ObservationFactory(published=True, region=elsewhere, period=Period.year(2019))
    ProgramFactory(published=True, title_en="County base", regions=[county])
    ProgramFactory(published=True, title_en="Elsewhere", regions=[elsewhere])
    shown = titles(atom(client, f"/regions/{city.code}/feed/"))
    assert len(shown) == 2
    assert "New program: County base" in shown
    assert all(county.name_en in title for title in shown if not title.startswith("New"))


def test_a_metric_feed_and_a_program_feed(client):
    followed = ObservationFactory(published=True)
    ObservationFactory(published=True, metric=followed.metric, period=Period.year(2019))
    ObservationFactory(published=True)  # another metric
    program = ProgramFactory(published=True, title_en="Rural logistics")
    OutcomeFactory(program=program, metric=followed.metric, region=followed.region)
    assert len(titles(atom(client, f"/metrics/{followed.metric.slug}/feed/"))) == 2
    # The program itself and the one figure its outcome follows.
    shown = titles(atom(client, f"/programs/{program.slug}/feed/"))
    assert sorted(shown) == sorted(
        [
            "New program: Rural logistics",
            f"{followed.metric.name_en}, {followed.region.name_en}, "
            f"{followed.period_label}: {followed.formatted_value}",
        ]
    )


def test_the_chinese_feed_speaks_chinese(client, shanxi):
    feed = atom(client, "/zh-hans/feed/")
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-hans"
    assert "山西省网络零售额，2020年1-6月：107.7亿元" in titles(feed)
    assert "新项目：与互联网平台合作" in titles(feed)
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://testserver/zh-hans/"


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "/feed/"),
        ("/metrics/online-retail-sales/", "/metrics/online-retail-sales/feed/"),
        ("/regions/141000/", "/regions/141000/feed/"),
        (
            "/programs/internet-platform-cooperation/",
            "/programs/internet-platform-cooperation/feed/",
        ),
        ("/zh-hans/regions/141000/", "/zh-hans/regions/141000/feed/"),
    ],
)
def test_pages_name_their_feed(client, shanxi, page, feed):
    html = client.get(page).content.decode()
    assert f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in html
    atom(client, feed)


def test_unknown_or_unpublished_subjects_have_no_feed(client):
    draft = ProgramFactory()
    for url in ("/regions/999999/feed/", "/metrics/no-such/feed/", f"/programs/{draft.slug}/feed/"):
        assert client.get(url).status_code == 404
