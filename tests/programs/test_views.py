"""The public program pages, home and region pages as a citizen uses them."""

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from metrics.exports import safe_cell
from metrics.filters import MAX_SELECT_OPTIONS
from metrics.models import PublicationState, Region
from metrics.periods import Period
from tests.factories import (
    ActivityFactory,
    CountyFactory,
    MetricFactory,
    ObservationFactory,
    OrganisationFactory,
    OutcomeFactory,
    PartnershipFactory,
    ProgramFactory,
    RegionFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


def add_programs(count, *, regions):
    for _ in range(count):
        program = ProgramFactory(published=True, regions=regions, sectors=[SectorFactory()])
        PartnershipFactory(program=program)
        OutcomeFactory(program=program, region=regions[0])
        ActivityFactory(program=program)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/programs/",
        "/programs/?region=141000&sort=-regions",
        "/programs/?kind=event_campaign&year=2020&sort=lead_organisation",
        "/programs/export.csv",
        "/programs/linfen-county-officials-livestreaming-2020/",
        "/programs/internet-platform-cooperation/",
        "/regions/141000/",
        "/regions/140000/",
    ],
)
def test_public_pages_run_a_fixed_number_of_queries(client, shanxi, url):
    small = query_count(client, url)
    linfen = Region.objects.get(code="141000")
    add_programs(30, regions=[linfen, Region.objects.get(code="141002")])
    assert query_count(client, url) == small


def test_program_list_filters_by_region_including_sub_regions(client, shanxi):
    county = Region.objects.get(code="141023")  # Xiangfen County, under Linfen
    ProgramFactory(published=True, title_en="Xiangfen cold-chain hub", regions=[county])

    rows = read_csv(client.get("/programs/export.csv?region=141000"))
    titles = {row[0] for row in rows[1:]}

    assert "Xiangfen cold-chain hub" in titles
    assert "Linfen county officials' livestreaming campaign" in titles
    assert "Cooperation with internet platforms" not in titles  # Shanxi-wide, not in Linfen


def test_program_list_filters_by_partner_sector_status_and_year(client, shanxi):
    def titles(query):
        return [row[0] for row in read_csv(client.get(f"/programs/export.csv?{query}"))[1:]]

    assert titles("partner=alibaba") == ["Cooperation with internet platforms"]
    assert titles("sector=cultural-tourism") == [
        "Digital economy in agricultural products, food processing and cultural tourism"
    ]
    assert titles("status=completed&year=2020") == [
        "Linfen county officials' livestreaming campaign"
    ]
    assert titles("year=2019") == []
    assert "Cooperation with internet platforms" in titles("q=internet")
    assert titles("q=互联网平台") == ["Cooperation with internet platforms"]


def test_export_holds_the_filtered_rows_in_the_table_order(client, shanxi):
    page = client.get("/programs/?status=planned&sort=-title").content.decode()
    shown = re.findall(r'<td data-label="Program"><a href="/programs/[^"]+/">([^<]+)</a>', page)

    rows = read_csv(client.get("/programs/export.csv?status=planned&sort=-title"))

    assert rows[0][:3] == ["Program", "Kind", "Status"]
    assert [row[0] for row in rows[1:]] == [title.replace("&#x27;", "'") for title in shown]
    assert len(rows) - 1 == 5


def test_programs_sort_by_outcomes_region_and_lead_organisation(client, db):
    city = RegionFactory(code="750000")
    county = CountyFactory(parent=city, code="750102")
    wide = ProgramFactory(
        published=True,
        title_en="Wide",
        regions=[county, city],
        lead_organisation=OrganisationFactory(name_en="Zhejiang office"),
    )
    local = ProgramFactory(
        published=True,
        title_en="Local",
        regions=[county],
        lead_organisation=OrganisationFactory(name_en="Anhui office"),
    )
    OutcomeFactory.create_batch(2, program=local)
    OutcomeFactory(program=wide)

    def column(sort, header):
        rows = read_csv(client.get(f"/programs/export.csv?sort={sort}"))
        index = rows[0].index(header)
        return [(row[0], row[index]) for row in rows[1:]]

    assert column("-outcome_count", "Outcomes") == [("Local", "2"), ("Wide", "1")]
    assert [title for title, _ in column("regions", "Regions")] == ["Wide", "Local"]
    assert [title for title, _ in column("-regions", "Regions")] == ["Local", "Wide"]
    assert column("lead_organisation", "Lead organisation") == [
        ("Local", "Anhui office"),
        ("Wide", "Zhejiang office"),
    ]


def test_xlsx_export_matches_the_csv(client, shanxi):
    csv_rows = read_csv(client.get("/programs/export.csv?status=active"))
    response = client.get("/programs/export.xlsx?status=active")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    xlsx_rows = list(workbook.active.values)
    assert len(xlsx_rows) == len(csv_rows)
    for xlsx_row, csv_row in zip(xlsx_rows, csv_rows, strict=True):
        for cell, text in zip(xlsx_row, csv_row, strict=True):
            if isinstance(cell, int | float):  # a number: the same number as the CSV's text
                assert Decimal(repr(cell)) == Decimal(text)
            else:
                assert ("" if cell is None else cell) == text


def test_xlsx_export_writes_budgets_and_counts_as_numbers(client, shanxi):
    program = ProgramFactory(
        published=True, title_en="=Budgeted", budget_yuan=Decimal("200000000"), regions=[]
    )
    OutcomeFactory.create_batch(2, program=program)
    response = client.get("/programs/export.xlsx?q=Budgeted")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, row = [cell.value for cell in sheet[1]], sheet[2]
    cells = dict(zip(header, row, strict=True))
    assert cells["Budget"].data_type == "n" and cells["Budget"].value == 200000000
    assert cells["Outcomes"].data_type == "n" and cells["Outcomes"].value == 2
    # Text is still neutralised: the title is a string, not a formula.
    assert cells["Program"].data_type == "s" and cells["Program"].value == "'=Budgeted"


@pytest.mark.parametrize("payload", ["=HYPERLINK(1)", "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_exported_cells_cannot_become_formulas(client, shanxi, payload):
    ProgramFactory(published=True, title_en=f"{payload} title", regions=[])
    rows = read_csv(client.get("/programs/export.csv?q=title"))
    assert [row[0] for row in rows[1:]] == [f"'{payload} title"]

    response = client.get("/programs/export.xlsx?q=title")
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r", "\0"])
def test_safe_cell_neutralises_every_formula_trigger(trigger):
    # NUL cannot be stored by PostgreSQL, so it is checked here rather than end to end.
    assert safe_cell(f"{trigger}cmd|1") == f"'{trigger}cmd|1"
    assert safe_cell("1+1") == "1+1"


@pytest.mark.parametrize("number", ["-5.9", "+23.7%", "-0.5%", "10770000000"])
def test_plain_numbers_stay_numbers_in_exports(number):
    assert safe_cell(number) == number


def test_invalid_filters_answer_400_on_downloads_and_an_explained_empty_list_on_pages(
    client, shanxi
):
    assert client.get("/programs/export.csv?region=999999").status_code == 400
    page = client.get("/programs/?region=999999&year=abc")
    assert page.status_code == 200
    html = page.content.decode()
    assert "There is no region with code 999999." in html
    assert "Enter a whole number." in html


def test_no_select_offers_more_than_the_limit(client, shanxi):
    linfen = Region.objects.get(code="141000")
    for _ in range(MAX_SELECT_OPTIONS):
        CountyFactory(parent=linfen)
        PartnershipFactory(
            program=ProgramFactory(published=True, regions=[linfen]),
            organisation=OrganisationFactory(),
        )
    for url in ["/programs/", "/metrics/online-retail-sales/", "/metrics/"]:
        html = client.get(url).content.decode()
        for select in re.findall(r"<select.*?</select>", html, flags=re.S):
            assert select.count("<option") <= MAX_SELECT_OPTIONS, url
    # Counties are still accepted by code, and partners by identifier.
    assert client.get("/programs/?region=141023").status_code == 200
    assert 'name="partner"' in client.get("/programs/").content.decode()


def test_program_page_shows_people_partners_outcomes_activities_and_sources(client, shanxi):
    html = client.get("/programs/internet-platform-cooperation/").content.decode()
    for text in ["Tian Xin", "Alibaba", "JD.com", "Kuaishou", "Douyin", "Platform partner"]:
        assert text in html
    assert "Livestreaming e-commerce bases" in html  # a sub-program
    assert "Livestreaming and social-networking e-commerce" in html  # its parent

    campaign = client.get("/programs/linfen-county-officials-livestreaming-2020/").content.decode()
    assert "85 livestreaming events by county officials" in campaign
    assert "more than 30 million yuan" in campaign
    assert "Progress toward a target is" in campaign  # the rule is stated
    assert "<svg" in campaign
    assert "Activities of this program" in campaign  # activities marked on the chart

    rural = client.get("/programs/rural-ecommerce-infrastructure/").content.decode()
    assert "25.6% (2019)" in rural  # baseline
    assert "31.3%" in rural  # latest


def test_region_page_lists_parents_children_programs_and_latest_figures(client, shanxi):
    html = client.get("/regions/141000/").content.decode()
    assert 'href="/regions/140000/"' in html and 'href="/regions/100000/"' in html
    assert "Xiangfen County" in html
    assert "Linfen county officials&#x27; livestreaming campaign" in html
    assert "more than 30 million yuan" in html
    assert client.get("/regions/999999/").status_code == 404


def test_home_shows_headlines_with_national_comparison_and_warning_count(client, shanxi):
    html = client.get("/").content.decode()
    assert "10.77 billion yuan" in html
    assert "+16.4 pp vs national" in html
    assert (
        "3 open data-quality warnings" in html
    )  # the rural share; the derived national growth twice
    assert "Cooperation with internet platforms" in html  # an active program


def test_home_trend_shows_the_last_three_years_of_a_headline(client, db, settings):
    province = RegionFactory()
    settings.HOME_REGION_CODE = province.code
    metric = MetricFactory()
    for year in range(2012, 2021):
        ObservationFactory(published=True, metric=metric, region=province, period=Period.year(year))
    html = client.get("/").content.decode()
    # Each point's title: "<region>, <period>: <value>".
    charted = re.findall(r"<circle [^>]*><title>[^<]*, (\d{4}): [^<]*</title>", html)
    assert sorted(charted) == ["2017", "2018", "2019", "2020"]


def test_chinese_pages_use_chinese_content_and_scales(client, shanxi):
    home = client.get("/zh-hans/").content.decode()
    assert '<html lang="zh-Hans">' in home
    assert "107.7亿元" in home
    assert "高于全国16.4个百分点" in home
    assert "网络零售额" in home

    programs = client.get("/zh-hans/programs/").content.decode()
    assert "与互联网平台合作" in programs
    # The switch back to English, to this page.
    assert 'name="next" value="/zh-hans/programs/"' in programs
    assert 'name="language" value="en"' in programs

    campaign = client.get("/zh-hans/programs/linfen-county-officials-livestreaming-2020/")
    assert "超过3,000万元" in campaign.content.decode()


def test_every_seed_figure_is_two_clicks_from_home(client, shanxi):
    home = client.get("/").content.decode()
    metric_pages = set(re.findall(r'href="(/metrics/[a-z0-9-]+/)"', home))
    reachable = "".join(client.get(url).content.decode() for url in metric_pages)
    for figure in [
        "10.77 billion yuan",
        "US$1.54 billion",
        "+9.4%",
        "+83.1%",
        "6.21 billion yuan",
        "31.3%",
        "25.6%",
        "2.33 billion yuan",
        "more than 30 million yuan",
    ]:
        assert figure in reachable, figure


def test_long_lists_say_more_than_instead_of_counting_everything(client, shanxi, monkeypatch):
    from metrics.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 5)
    html = client.get("/programs/").content.decode()
    assert "Showing 1–5 of more than 5" in html
    monkeypatch.setattr(CappedPaginator, "cap", 10_000)
    assert "Showing 1–9 of 9" in client.get("/programs/").content.decode()


def test_a_page_counts_only_as_far_as_the_pages_it_links_to(client, shanxi, monkeypatch):
    from metrics.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "look_ahead_pages", 1)
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/programs/?per_page=2").content.decode()
    assert "Showing 1–2 of more than 4" in first
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(*)" in query["sql"]]
    assert any(sql.endswith("LIMIT 5) subquery") for sql in counts), counts
    # Further on, the count reaches the end of the list and is exact.
    assert "Showing 7–8 of 9" in client.get("/programs/?per_page=2&page=4").content.decode()


def test_page_size_from_the_url_is_kept_within_bounds(client, shanxi):
    add_programs(120, regions=[Region.objects.get(code="141000")])
    rows = read_csv(client.get("/programs/export.csv"))
    assert len(rows) - 1 == 129  # the export is never paged
    page = client.get("/programs/?per_page=1000000").content.decode()
    assert page.count('<td data-label="Program">') == 100
    assert client.get("/programs/?per_page=-3&page=-1").status_code == 200


def breadcrumb(client, program):
    html = client.get(program.get_absolute_url()).content.decode()
    trail = html.split('class="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<li>(?:<a [^>]*>|<span [^>]*>)([^<]*)<", trail)


def test_the_breadcrumb_names_the_published_programs_above_top_first(client, db):
    policy = ProgramFactory(published=True, title_en="Digital commerce policy")
    plan = ProgramFactory(published=True, parent=policy, title_en="Livestreaming plan")
    base = ProgramFactory(published=True, parent=plan, title_en="Taiyuan base")

    assert breadcrumb(client, base) == [
        "Programs",
        "Digital commerce policy",
        "Livestreaming plan",
        "Taiyuan base",
    ]
    # The plan lists the base among its sub-programs; the base has none.
    assert "Taiyuan base" in client.get(plan.get_absolute_url()).content.decode()
    assert 'id="sub-heading"' not in client.get(base.get_absolute_url()).content.decode()

    # A parent taken back from the public ends the trail there, and its
    # parents are not shown either.
    plan.publication_state = PublicationState.DRAFT
    plan.save()
    assert breadcrumb(client, base) == ["Programs", "Taiyuan base"]


def test_home_headline_cards_state_the_change_only_where_the_source_gave_one(client, shanxi):
    html = client.get("/").content.decode()
    cards = {
        re.search(r"<h3><a [^>]*>([^<]+)</a></h3>", card)[1]: card
        for card in html.split('<li class="card">')[1:]
    }
    agricultural = cards["Online retail sales of agricultural products"]
    assert '<p class="figure">2.33 billion yuan</p>' in agricultural
    assert "<p>+43.5% year on year</p>" in agricultural
    # A level without a reported change says nothing of one.
    assert "year on year" not in cards["Online retail sales (US dollars, as reported)"]
