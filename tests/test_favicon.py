"""The site's icon: linked from every kind of page, and /favicon.ico answers without a 404."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

ICON_LINK = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'


def test_favicon_ico_redirects_to_the_icon_for_a_day_without_the_database(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    assert "public" in response["Cache-Control"]
    assert "max-age=86400" in response["Cache-Control"]
    assert "Set-Cookie" not in response
    icon = Path(finders.find("favicon.svg")).read_text()
    assert icon.startswith("<svg") and "#12304d" in icon


@pytest.mark.parametrize(
    "path", ["/", "/zh-hans/programs/", "/no-such-page/", "/admin/login/", "/zh-hans/admin/login/"]
)
def test_pages_link_the_icon(shanxi, client, path):
    assert ICON_LINK in client.get(path).content.decode()


def test_staff_pages_link_the_icon(shanxi, admin_client):
    for path in ["/admin/", "/admin/programs/program/add/", "/admin/no-such-screen/"]:
        assert ICON_LINK in admin_client.get(path).content.decode(), path


def test_the_signed_out_error_page_links_the_icon(shanxi):
    response = Client().get("/programs/no-such-program/")
    assert response.status_code == 404
    assert ICON_LINK in response.content.decode()
