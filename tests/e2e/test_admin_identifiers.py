"""In a browser: a program's identifier fills itself from its English title while it is added."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from programs.models import Program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-enough-password-for-tests"


def sign_in(page, live_server):
    get_user_model().objects.create_superuser("slug-admin", "", PASSWORD)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("slug-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/admin/")


def test_typed_identifier_wins_and_an_existing_one_stays(page, live_server, demo):
    sign_in(page, live_server)
    page.goto(live_server.url + "/admin/programs/program/add/")
    title, slug = page.locator("#id_title_en"), page.locator("#id_slug")
    title.press_sequentially("Village express depots")
    expect(slug).to_have_value("village-express-depots")

    # Staff may still type their own; the title no longer overwrites it.
    slug.fill("village-depots")
    slug.dispatch_event("change")
    title.press_sequentially(" 2021")
    expect(slug).to_have_value("village-depots")

    page.locator("#id_kind").select_option("rural_infrastructure")
    page.locator("input[name='_continue']").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    program = Program.objects.get(slug="village-depots")

    # The saved program's identifier is in its address: a new title leaves it.
    page.goto(live_server.url + f"/admin/programs/program/{program.pk}/change/")
    page.locator("#id_slug").fill("")
    page.locator("#id_title_en").fill("")
    page.locator("#id_title_en").press_sequentially("Township express depots")
    expect(page.locator("#id_slug")).to_have_value("")
