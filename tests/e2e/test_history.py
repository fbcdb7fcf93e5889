"""The staff history page in a real browser: its revert column in Chinese."""

import pytest
import reversion
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from programs.models import Program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-enough-password-for-tests"


def test_the_revert_link_stays_on_one_line_in_chinese(page, live_server, demo):
    admin = get_user_model().objects.create_superuser("history-admin", "", PASSWORD)
    program = Program.objects.get(slug="livestreaming-bases")
    draft = Program.objects.create(
        slug="orchard-livestreams",
        title_en="Orchard livestreams " * 8,
        title_zh="果园直播" * 20,
        kind=program.kind,
        summary_en="A long summary that fills the changes column. " * 10,
        lead_organisation=program.lead_organisation,
        start_date=program.start_date,
    )
    for title in ("Orchard livestreams, first", "Orchard livestreams, second"):
        draft.title_en = title
        with reversion.create_revision():
            reversion.set_user(admin)
            draft.save()

    page.goto(live_server.url + "/zh-hans/admin/login/")
    page.locator("#id_username").fill("history-admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto(live_server.url + f"/zh-hans/admin/programs/program/{draft.pk}/history/")

    link = page.locator("td.revert a").first
    expect(link).to_have_text("恢复到此版本")
    box = link.bounding_box()
    line_height = float(link.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 20"))
    assert box["height"] < 1.5 * line_height, box
