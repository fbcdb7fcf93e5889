"""
Nothing a visitor does writes to the database: every public page, filter,
download and form, failed sign-ins under ever new names, made-up cookies.
The content version (the page cache's key) and every table's row count
stay as they were, so no visitor can empty the cache for everyone else.

The one exception is designed: "Report a problem" keeps the reader's
report (metrics.reports). It adds that one row and nothing else (no
session, no log), and it does not move the content version: a report is
public only once staff answer it.
"""

import time

import pytest
from django.apps import apps
from django.core.cache import caches
from django.test import Client

from metrics.models import ContentVersion, Observation
from tests.test_published_only import crawl

pytestmark = pytest.mark.django_db

START = [
    "/",
    "/zh-hans/",
    "/programs/",
    "/programs/?kind=platform_partnership&sort=-title",
    "/programs/?partner=alibaba&region=140000&year=2020",
    "/programs/export.csv?q=live",
    "/programs/export.xlsx",
    "/metrics/",
    "/metrics/online-retail-sales/?region=140000&period_type=ytd",
    "/metrics/online-retail-sales/observations.csv",
    "/downloads/",
    "/downloads/published-data.zip",
    "/api/",
    "/api/programs/",
    "/api/observations/?metric=online-retail-sales",
    "/api/schema/",
    "/admin/login/",
    "/healthz",
]


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def test_visitors_write_nothing_but_their_problem_reports(shanxi, settings, monkeypatch):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    caches[settings.PUBLIC_PAGE_CACHE].clear()
    before, version = row_counts(), ContentVersion.current()

    pages = crawl(Client(), START, limit=120)
    assert len(pages) > 40
    for number in range(8):
        # Failed sign-ins, each under a new name, then the same name until locked out.
        response = Client().post(
            "/admin/login/", {"username": f"intruder-{number}", "password": "wrong-password-1"}
        )
        assert response.status_code == 200
    locked = [
        Client().post("/admin/login/", {"username": "li.wei", "password": "wrong-password-1"})
        for _ in range(6)
    ]
    assert locked[-1].status_code == 429
    for cookie in ("sessionid=bogus", "sessionid=", "csrftoken=forged; sessionid=0"):
        visitor = Client()
        visitor.cookies.load(cookie)
        assert visitor.get("/programs/").status_code == 200
        assert visitor.get("/api/programs/").status_code == 200

    # The designed write: a report on a published figure, sent like a reader
    # who takes ten seconds to write it.
    figure = Observation.objects.published().first()
    reader, address = Client(), f"/report/observation/{figure.pk}/"
    drawn = reader.get(address).context["drawn"]
    sent_at = time.time() + 10
    monkeypatch.setattr(time, "time", lambda: sent_at)
    report = {"description": "The growth rate disagrees with the levels.", "drawn": drawn}
    assert reader.post(address, report).status_code == 302

    assert ContentVersion.current() == version
    after = row_counts()
    assert after.pop("metrics.ProblemReport") == before.pop("metrics.ProblemReport") + 1
    assert after == before
