"""The admin works in a real browser under the Content-Security-Policy (no 'unsafe-inline')."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from programs.models import Program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-enough-password-for-tests"


def test_staff_add_a_program_with_a_partner_inline_under_the_policy(page, live_server, demo):
    get_user_model().objects.create_superuser("csp-admin", "", PASSWORD)
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )

    response = page.goto(live_server.url + "/admin/login/")
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.get_by_label("Username").fill("csp-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/admin/")

    page.goto(live_server.url + "/admin/programs/program/add/")
    page.locator("#id_title_en").press_sequentially("Cold-chain logistics pilot")
    # The slug is filled in by the admin's own script as the title is typed.
    expect(page.locator("#id_slug")).to_have_value("cold-chain-logistics-pilot")
    page.locator("#id_kind").select_option("rural_infrastructure")

    # An inline row added by the admin's script, its organisation chosen by autocomplete.
    page.locator("#partnerships-group .add-row a").click()
    row = page.locator("#partnerships-0")
    row.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("JD")
    page.locator(".select2-results__option", has_text="JD.com").click()
    row.locator("select[name$='-role']").select_option("platform_partner")

    page.locator("input[name='_save']").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    program = Program.objects.get(slug="cold-chain-logistics-pilot")
    assert [p.organisation.slug for p in program.partnerships.all()] == ["jd-com"]
    assert blocked == []
