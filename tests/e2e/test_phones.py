"""
A phone (390 px wide) in Chromium, in both languages: tables sort without
JavaScript, captions read across the screen, chart text stays legible and
charts tell an outcome's baseline and a qualified figure as they are.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PREFIX = {"en": "", "zh-hans": "/zh-hans"}
SMALLEST_TEXT = 11  # CSS px

# Each drawn chart text: its box, and its font size as drawn (the SVG's
# font-size times the scale its viewBox is drawn at).
CHART_TEXTS = """() => [...document.querySelectorAll('svg.chart, svg.map')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].map(text => {
      const box = text.getBoundingClientRect();
      return {text: text.textContent, size: parseFloat(text.getAttribute('font-size')) * scale,
              left: box.left, top: box.top, right: box.right, bottom: box.bottom};
    });
  })"""


@pytest.fixture
def phone(browser):
    # No JavaScript: what the page offers must work without it.
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


def outcome_counts(page):
    """The program table's last column, its number of outcomes, row by row."""
    cells = page.locator("table.data-table tbody tr td:last-child").all_inner_texts()
    return [int(cell) for cell in cells]


@pytest.mark.parametrize("language", PREFIX)
def test_a_phone_sorts_a_filtered_table_without_javascript(phone, live_server, demo, language):
    phone.goto(f"{live_server.url}{PREFIX[language]}/programs/?status=active")
    # The headers are kept for screen readers only (a pixel), as the rows stack as cards.
    assert phone.locator("table.data-table thead").bounding_box()["height"] <= 1
    form = phone.locator("form.table-sort")
    expect(form).to_be_visible()
    choice = form.locator("select")
    # The list has its visible label.
    assert form.locator("label").get_attribute("for") == choice.get_attribute("id")

    choice.select_option("-outcome_count")
    form.locator("button").click()

    assert "sort=-outcome_count" in phone.url
    assert "status=active" in phone.url  # the filter is kept
    expect(form.locator("select")).to_have_value("-outcome_count")
    counts = outcome_counts(phone)
    assert len(set(counts)) > 1
    assert counts == sorted(counts, reverse=True)

    form.locator("select").select_option("outcome_count")
    form.locator("button").click()
    counts = outcome_counts(phone)
    assert counts == sorted(counts)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=ARTIFACTS / f"phone-sorted-programs-{language}.png")


def test_a_wide_screen_sorts_by_its_headers_and_has_no_sort_list(page, live_server, demo):
    page.goto(live_server.url + "/programs/")
    expect(page.locator("form.table-sort")).to_be_hidden()
    expect(page.locator("table.data-table thead")).to_be_visible()


@pytest.mark.parametrize("language", PREFIX)
@pytest.mark.parametrize(
    "path", ["/programs/", "/metrics/online-retail-sales/", "/regions/141000/"]
)
def test_a_table_caption_reads_across_a_phone(phone, live_server, demo, language, path):
    phone.goto(f"{live_server.url}{PREFIX[language]}{path}")
    caption = phone.locator("table.data-table caption:not(.visually-hidden)").first
    expect(caption).to_be_visible()
    width, height, line, size = caption.evaluate(
        "c => { const s = getComputedStyle(c); const b = c.getBoundingClientRect();"
        " return [b.width, b.height, parseFloat(s.lineHeight), parseFloat(s.fontSize)]; }"
    )
    assert width > 8 * size  # not squeezed to a character or a word a line
    assert height < 1.5 * line  # one line


def overlapping(texts):
    """Pairs of chart labels whose boxes overlap (by more than a pixel)."""
    return [
        (first["text"], second["text"])
        for index, first in enumerate(texts)
        for second in texts[index + 1 :]
        if first["left"] + 1 < second["right"]
        and second["left"] + 1 < first["right"]
        and first["top"] + 1 < second["bottom"]
        and second["top"] + 1 < first["bottom"]
    ]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", PREFIX)
@pytest.mark.parametrize(
    "path",
    [
        "/metrics/online-retail-sales/",
        "/metrics/livestream-campaign-sales/",
        "/programs/rural-ecommerce-infrastructure/",
        "/overview/",  # bar charts
        "/regions/140000/",  # a map with the regions' names
    ],
)
def test_chart_text_is_legible_and_never_overlaps(
    browser, live_server, demo, path, language, viewport
):
    context = browser.new_context(viewport=PHONE if viewport == "phone" else DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}{PREFIX[language]}{path}")
    charts = page.evaluate(CHART_TEXTS)
    ARTIFACTS.mkdir(exist_ok=True)
    name = path.strip("/").replace("/", "-")
    page.locator("svg.chart:visible, svg.map:visible").first.screenshot(
        path=ARTIFACTS / f"chart-{name}-{language}-{viewport}.png"
    )
    context.close()

    assert charts, "the page draws a chart"
    for texts in charts:
        assert texts
        too_small = [(text["text"], round(text["size"], 1)) for text in texts if text["size"] < 11]
        assert not too_small
        assert min(text["bottom"] - text["top"] for text in texts) >= SMALLEST_TEXT
        assert not overlapping(texts)


@pytest.mark.parametrize(
    ("language", "baseline"), [("en", "Baseline: 25.6%"), ("zh-hans", "基线: 25.6%")]
)
def test_an_outcome_chart_on_a_phone_shows_its_baseline(
    phone, live_server, demo, language, baseline
):
    phone.goto(f"{live_server.url}{PREFIX[language]}/programs/rural-ecommerce-infrastructure/")
    chart = phone.locator("svg.chart-narrow", has=phone.locator("text", has_text=baseline))
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text(f"{baseline} (2019")


@pytest.mark.parametrize(
    ("language", "written"), [("en", "more than 30 million yuan"), ("zh-hans", "超过3,000万元")]
)
def test_a_qualified_figure_is_charted_with_its_qualifier(
    phone, live_server, demo, language, written
):
    phone.goto(f"{live_server.url}{PREFIX[language]}/metrics/livestream-campaign-sales/")
    chart = phone.locator("svg.chart-narrow")
    expect(chart.locator("text.qualified")).to_have_text(written)
    expect(chart.locator("desc")).to_contain_text(written)
