"""A reader on a phone, without JavaScript, reports a problem with a figure in Chinese."""

import re

import pytest
from playwright.sync_api import expect

from metrics.models import Observation, ProblemReport
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, request):
    """A 390 px wide page in Chinese, with JavaScript switched off."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


def fits(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_a_report_in_chinese_on_a_phone_without_javascript(phone, live_server, demo):
    figure = Observation.objects.published().get(
        metric__slug="online-retail-sales", region__code="140000"
    )
    phone.goto(f"{live_server.url}/zh-hans{figure.get_absolute_url()}")
    phone.locator(f'a[href="/zh-hans/report/observation/{figure.pk}/"]').click()

    expect(phone).to_have_url(re.compile(rf"/zh-hans/report/observation/{figure.pk}/$"))
    expect(phone.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(phone.locator(".honeypot")).to_be_hidden()
    for selector in ("textarea", "input[type=email]", "main button[type=submit]"):
        fits(phone, selector)

    phone.locator("textarea").fill("上半年网络零售额的同比增速与来源不一致，请核对。")
    # Sent at once, as a program would: refused, with what was written kept.
    phone.locator("main button[type=submit]").click()
    expect(phone.locator("[role=alert]")).to_be_visible()
    expect(phone.locator("textarea")).to_have_value(
        "上半年网络零售额的同比增速与来源不一致，请核对。"
    )
    assert not ProblemReport.objects.exists()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=ARTIFACTS / "problem-report-refused-390.png", full_page=True)
    for selector in ("textarea", "[role=alert]", "main button[type=submit]"):
        fits(phone, selector)

    phone.wait_for_timeout(3500)  # a reader takes a few seconds
    phone.locator("main button[type=submit]").click()

    expect(phone).to_have_url(re.compile(rf"/zh-hans/report/observation/{figure.pk}/thanks/$"))
    [report] = ProblemReport.objects.all()
    assert report.language == "zh-hans"
    assert report.description == "上半年网络零售额的同比增速与来源不一致，请核对。"
    assert report.record == figure

    # Once staff answer, the figure's page shows the answer, not the reader's words.
    report.status = ProblemReport.Status.NOT_A_PROBLEM
    report.answer_zh = "来源原文如此：同比增长23.7%。"
    report.note_answer(previous=None, user=None)
    report.save()
    phone.goto(f"{live_server.url}/zh-hans{figure.get_absolute_url()}")
    answers = phone.locator(".problem-reports")
    expect(answers).to_contain_text("来源原文如此：同比增长23.7%。")
    expect(answers).not_to_contain_text("请核对")
    fits(phone, ".problem-reports blockquote")
    phone.screenshot(path=ARTIFACTS / "problem-report-answered-390.png", full_page=True)
