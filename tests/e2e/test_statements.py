"""
A citizen reading Shanxi's 10.77 billion yuan sees what is quoted, what is
derived and what is inferred, and that the national comparison conflicts
with the bureau's figures: in both languages, on a desktop and a phone.
"""

import pytest
from playwright.sync_api import expect

from metrics.models import Observation
from programs.models import Program
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)
WORDS = {
    "en": {"quoted": "quoted", "derived": "derived", "inferred": "inferred", "prefix": ""},
    "zh-hans": {"quoted": "引用", "derived": "推算", "inferred": "推断", "prefix": "/zh-hans"},
}


@pytest.fixture(params=[(language, width) for language in WORDS for width in WIDTHS])
def reader(browser, request):
    language, width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    yield page, language, width
    context.close()


def no_sideways_scrolling(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_headline_figure_says_how_each_part_is_known(reader, live_server, demo):
    page, language, width = reader
    words = WORDS[language]
    figure = Observation.objects.get(metric__slug="online-retail-sales", region__code="140000")
    page.goto(f"{live_server.url}{words['prefix']}{figure.get_absolute_url()}")

    value = page.locator(".facts dd").first
    expect(value.locator(".basis-mark")).to_have_text(words["quoted"])
    value.locator("summary").click()
    expect(value.locator(".basis-note q")).to_contain_text("10.77 billion yuan")

    # What the figure measures is the department's definition, not the article's.
    inferred = page.locator(".facts .basis-inferred")
    expect(inferred.locator(".basis-mark")).to_have_text(words["inferred"])
    inferred.locator("summary").click()
    expect(inferred.locator(".basis-note")).to_be_visible()

    national = page.locator("section[aria-labelledby=national-heading]")
    expect(national).to_contain_text("7.3%")
    expect(national).to_contain_text("16.4")
    derived = national.locator(".basis-derived")
    expect(derived.locator(".basis-mark")).to_have_text(words["derived"])
    derived.locator("summary").click()
    expect(derived.locator(".basis-note")).to_contain_text("23.7 - 14.3 = 9.4")
    conflicts = national.locator("ul.warnings li")
    expect(conflicts).to_have_count(2)
    expect(conflicts.first).to_contain_text("9.4%")
    no_sideways_scrolling(page, width)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"statements-figure-{language}-{width}.png", full_page=True)


def test_a_program_marks_what_the_department_inferred(reader, live_server, demo):
    page, language, width = reader
    words = WORDS[language]
    program = Program.objects.get(slug="internet-platform-cooperation")
    page.goto(f"{live_server.url}{words['prefix']}{program.get_absolute_url()}")
    inferred = page.locator(".facts .basis-inferred").first
    expect(inferred.locator(".basis-mark")).to_have_text(words["inferred"])
    inferred.locator("summary").click()
    expect(inferred.locator(".basis-note")).to_be_visible()
    partners = page.locator("#partners-heading ~ table .basis-quoted")
    expect(partners).to_have_count(4)
    no_sideways_scrolling(page, width)
    page.screenshot(path=ARTIFACTS / f"statements-program-{language}-{width}.png", full_page=True)
