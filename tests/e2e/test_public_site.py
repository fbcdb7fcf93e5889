"""A citizen's walk through the public site in a real browser."""

import csv
import re

import pytest
from playwright.sync_api import expect

from metrics.models import PublicationState, Region
from programs.models import Program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def table_rows(page):
    return page.locator("table.data-table tbody tr")


def add_published_programs(count):
    shanxi = Region.objects.get(code="140000")
    for number in range(count):
        program = Program.objects.create(
            slug=f"extra-program-{number:02d}",
            title_en=f"Extra program {number:02d}",
            kind=Program.Kind.OTHER,
            status=Program.Status.ACTIVE,
            publication_state=PublicationState.PUBLISHED,
        )
        program.regions.add(shanxi)


def test_headline_figure_leads_to_its_metric_and_the_flagged_inconsistency(page, live_server, demo):
    page.goto(live_server.url + "/")
    expect(page.locator("main")).to_contain_text("10.77 billion yuan")
    expect(page.locator("main")).to_contain_text("+16.4 pp vs national")

    page.locator(".cards").get_by_role("link", name="Rural share of online retail sales").click()

    expect(page).to_have_url(re.compile(r"/metrics/rural-share-of-online-retail-sales/$"))
    expect(page.locator("svg.chart-wide")).to_be_visible()  # a desktop draws the wide chart
    expect(page.locator("ul.warnings")).to_contain_text("57.7%")


def test_filter_sort_and_paginate_the_program_list(page, live_server, demo):
    add_published_programs(30)
    page.goto(live_server.url + "/programs/")

    page.get_by_label("Kind").select_option("platform_partnership")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"kind=platform_partnership"))
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page).first).to_contain_text("Cooperation with internet platforms")

    page.goto(live_server.url + "/programs/")
    page.locator("thead").get_by_role("link", name=re.compile("^Program")).click()
    expect(page).to_have_url(re.compile(r"sort=-title"))
    titles = sorted(Program.objects.published().values_list("title_en", flat=True), reverse=True)
    expect(table_rows(page).first).to_contain_text(titles[0])

    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page).to_have_url(re.compile(r"sort=-title"))
    expect(table_rows(page)).to_have_count(len(titles) - 25)
    expect(table_rows(page).first).to_contain_text(titles[25])


def test_language_switch_keeps_the_view_and_formats_numbers_in_chinese(page, live_server, demo):
    page.goto(live_server.url + "/programs/?kind=platform_partnership")
    page.get_by_role("button", name="中文").click()

    expect(page).to_have_url(re.compile(r"/zh-hans/programs/\?kind=platform_partnership$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(table_rows(page).first).to_contain_text("与互联网平台合作")

    page.goto(live_server.url + "/zh-hans/")
    expect(page.locator("main")).to_contain_text("107.7亿元")
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_csv_download_holds_exactly_the_filtered_rows(page, live_server, demo):
    page.goto(live_server.url + "/programs/?status=active&sort=title")
    shown = [row.inner_text().split("\n")[0].split("\t")[0] for row in table_rows(page).all()]

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))

    assert rows[0][0] == "Program"
    assert [row[0] for row in rows[1:]] == shown
    expected = Program.objects.published().filter(status="active").order_by("title_en")
    assert [row[0] for row in rows[1:]] == list(expected.values_list("title_en", flat=True))


@pytest.mark.parametrize(
    "path", ["/", "/programs/", "/metrics/", "/metrics/online-retail-sales/", "/regions/141000/"]
)
def test_phone_width_needs_no_sideways_scrolling(browser, live_server, demo, path):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + path)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert scroll_width <= PHONE["width"]
