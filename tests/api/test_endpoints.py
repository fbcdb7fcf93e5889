"""The open-data API and the bulk download, as a researcher uses them."""

import csv
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from metrics.models import Metric, Region
from metrics.periods import Period
from metrics.throttling import PublicRateThrottle
from programs.models import Program
from tests.factories import ObservationFactory, ProgramFactory
from tests.test_published_only import MARKER, plant_unpublished_records

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = [
    "/api/regions/",
    "/api/metrics/",
    "/api/observations/",
    "/api/programs/",
    "/api/organisations/",
    "/api/sources/",
]


def every_page(client, url):
    """Follow `next` links through a list, whatever its pagination."""
    items = []
    while url:
        body = client.get(url).json()
        items += body["results"]
        url = body["next"]
    return items


def read_zip(client):
    response = client.get("/downloads/published-data.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_lists_and_details_use_stable_identifiers(client, shanxi):
    program = client.get("/api/programs/internet-platform-cooperation/").json()
    assert program["lead_organisation"] == "shanxi-department-of-commerce"
    assert program["regions"] == ["140000"]
    assert {partner["organisation"] for partner in program["partners"]} == {
        "alibaba",
        "jd-com",
        "kuaishou",
        "douyin",
    }
    assert client.get("/api/regions/141000/").json()["parent"] == "140000"
    metric = client.get("/api/metrics/online-retail-sales/").json()
    assert metric["unit"] == "yuan" and metric["is_cumulative"] is True


def test_programs_carry_outcomes_and_activities_with_published_results(client, shanxi):
    campaign = client.get("/api/programs/linfen-county-officials-livestreaming-2020/").json()
    [activity] = campaign["activities"]
    assert activity["event_count"] == 85
    assert len(activity["regions"]) == 17
    [result_id] = activity["results"]
    result = client.get(f"/api/observations/{result_id}/").json()
    assert result["value"] == "30000000.000000"
    assert result["value_qualifier"] == "more_than"
    assert [outcome["metric"] for outcome in campaign["outcomes"]] == ["livestream-campaign-sales"]


def test_observation_filters_match_the_public_tables(client, shanxi):
    def figures(query):
        return every_page(client, f"/api/observations/?{query}")

    linfen = figures("region=141000")
    assert [figure["metric"] for figure in linfen] == ["livestream-campaign-sales"]
    shanxi_wide = figures("region=140000")
    assert len(shanxi_wide) == 8  # Shanxi's seven and Linfen's one below it, not China's
    assert {figure["region"] for figure in shanxi_wide} == {"140000", "141000"}
    assert [f["period_label_en"] for f in figures("metric=rural-share-of-online-retail-sales")] == [
        "Jan–Jun 2020",
        "2019",
    ]
    assert [
        f["period_end"]
        for f in figures("metric=rural-share-of-online-retail-sales&period_to=2019-12-31")
    ] == ["2019-12-31"]
    national = figures("metric=online-retail-sales&region=100000&period_from=2020-06-30")
    assert sorted((figure["region"], figure["yoy_change"]) for figure in national) == [
        ("100000", "7.30"),
        ("100000", "9.40"),
        ("140000", "23.70"),
    ]
    assert figures("region=999999") == []  # an unknown code matches nothing
    assert client.get("/api/observations/?region=abc").status_code == 400


def test_program_filters_match_the_public_tables(client, shanxi):
    def slugs(query):
        return [program["slug"] for program in every_page(client, f"/api/programs/?{query}")]

    assert slugs("partner=alibaba") == ["internet-platform-cooperation"]
    assert slugs("region=141000") == ["linfen-county-officials-livestreaming-2020"]
    assert slugs("kind=event_campaign&status=completed&year=2020") == [
        "linfen-county-officials-livestreaming-2020"
    ]
    assert "rural-ecommerce-infrastructure" in slugs("status=active")


def test_observations_page_by_cursor_without_repeats_or_gaps(client, shanxi):
    metric = Metric.objects.get(slug="online-retail-sales")
    region = Region.objects.get(code="140100")
    for year in range(2010, 2020):
        for month in range(2, 13):
            ObservationFactory(
                published=True,
                metric=metric,
                region=region,
                period=Period.year_to_date(year, month),
                value=Decimal(year * 100 + month),
            )
    first = client.get("/api/observations/?page_size=25").json()
    assert "count" not in first  # no COUNT over the whole table
    assert "cursor=" in first["next"]
    everything = every_page(client, "/api/observations/?page_size=25")
    ids = [figure["id"] for figure in everything]
    assert len(ids) == len(set(ids)) == 10 * 11 + 11  # and the demo's eleven
    ends = [figure["period_end"] for figure in everything]
    assert ends == sorted(ends, reverse=True)


def test_observations_read_a_fixed_number_of_queries(client, shanxi):
    # Related records are read by identifier only (metrics.api): nothing
    # deferred may be read again per figure.
    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries("/api/observations/")
    metric = Metric.objects.get(slug="online-retail-sales")
    for year in range(2010, 2015):
        ObservationFactory(
            published=True,
            metric=metric,
            region=Region.objects.get(code="140100"),
            period=Period.year_to_date(year, 6),
        )
    assert queries("/api/observations/") == few
    assert queries(f"/api/observations/{metric.observations.first().pk}/") <= few


def test_nothing_unpublished_reaches_the_api_or_the_download(client, shanxi):
    plant_unpublished_records(Region.objects.get(code="140000"), Region.objects.get(code="141000"))
    ProgramFactory(
        published=True, title_en="Published child", slug="child", parent=ProgramFactory()
    )

    for url in LIST_ENDPOINTS:
        for item in every_page(client, url):
            assert MARKER not in json.dumps(item, ensure_ascii=False), url
    assert (
        client.get("/api/programs/child/").json()["parent"] is None
    )  # a draft parent stays hidden
    hidden = Program.objects.exclude(publication_state="published").values_list("slug", flat=True)
    for slug in hidden:
        assert client.get(f"/api/programs/{slug}/").status_code == 404
    marked_metric = Metric.objects.get(name_en=f"{MARKER} metric")
    assert client.get(f"/api/metrics/{marked_metric.slug}/").status_code == 404

    with read_zip(client) as archive:
        for name in archive.namelist():
            assert MARKER not in archive.read(name).decode("utf-8-sig"), name


def test_bulk_download_has_a_table_per_record_kind_and_its_metadata(client, shanxi):
    with read_zip(client) as archive:
        names = set(archive.namelist())
        package = json.loads(archive.read("datapackage.json"))
        observations = list(
            csv.DictReader(io.StringIO(archive.read("observations.csv").decode("utf-8-sig")))
        )
    assert {f"{resource['path']}" for resource in package["resources"]} | {
        "datapackage.json"
    } == names
    assert package["licenses"] == [{"name": "CC-BY-4.0"}]
    assert package["created"]
    assert {source["publisher"] for source in package["sources"]} == {
        "China Daily (chinadaily.com.cn)",
        "National Bureau of Statistics of China (stats.gov.cn)",
    }
    assert len(observations) == 9 + 2
    national = {
        row["basis"]: row["yoy_change_percent"]
        for row in observations
        if row["region_code"] == "100000" and row["metric"] == "online-retail-sales"
    }
    assert national == {"quoted": "7.30", "derived": "9.40"}


def test_downloads_are_one_click_from_home_and_linked_from_the_api_docs(client, shanxi):
    home = client.get("/").content.decode()
    assert 'href="/downloads/published-data.zip"' in home
    schema = client.get("/api/schema/?format=json").json()
    assert "/downloads/" in schema["info"]["description"]


@override_settings(
    REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
)
def test_anonymous_clients_are_rate_limited_with_retry_after(client, shanxi):
    cache.clear()
    answers = [client.get("/api/metrics/") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()
    cache.clear()


@override_settings(
    REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute"}}
)
def test_the_rate_limit_counts_each_address_afresh_every_minute(client, shanxi, monkeypatch):
    cache.clear()
    clock = [600.0]
    monkeypatch.setattr(PublicRateThrottle, "timer", lambda self: clock[0])

    def answers(address, times=1):
        return [client.get("/api/metrics/", REMOTE_ADDR=address).status_code for _ in range(times)]

    assert answers("10.0.0.1", 3) == [200, 200, 429]
    assert answers("10.0.0.2") == [200]  # another address has its own count
    clock[0] += 45
    refused = client.get("/api/metrics/", REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429 and refused["Retry-After"] == "15"
    clock[0] += 15
    assert answers("10.0.0.1", 3) == [200, 200, 429]
    cache.clear()
