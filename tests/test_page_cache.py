"""
Rendered public pages are served again while the database is unchanged,
and never after a committed change: a withdrawn program disappears at once.
The writes here commit (transactional tests), as they do in production.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics import page_cache as page_cache_module
from metrics.models import PublicationState
from metrics.page_cache import database_snapshot
from programs.models import Program
from tests.factories import ProgramFactory, SuperuserFactory

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the page cache keys on PostgreSQL's snapshot"
)


@pytest.fixture
def page_cache(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    caches[settings.PUBLIC_PAGE_CACHE].clear()
    yield
    caches[settings.PUBLIC_PAGE_CACHE].clear()


def visit(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@on_postgresql
@pytest.mark.django_db(transaction=True)
class TestOnPostgreSQL:
    def test_a_second_visit_with_the_same_snapshot_runs_no_page_query(
        self, client, page_cache, monkeypatch
    ):
        # Transaction ids are shared by the whole server, so tests running
        # in parallel move the real snapshot: here it is held still.
        monkeypatch.setattr(page_cache_module, "database_snapshot", lambda: "100:100:")
        ProgramFactory(published=True, title_en="Rural logistics build-out")
        first, rendering = visit(client, "/programs/")
        again, cached = visit(client, "/programs/")
        assert "Rural logistics build-out" in first
        assert again == first
        assert rendering > 1 and cached == 0

    def test_a_committed_write_moves_the_snapshot(self):
        before = database_snapshot()
        ProgramFactory(published=True)
        assert database_snapshot() != before

    def test_a_withdrawn_program_disappears_at_once(self, client, page_cache):
        program = ProgramFactory(published=True, title_en="Kuaishou partnership")
        assert "Kuaishou partnership" in visit(client, "/programs/")[0]
        assert "Kuaishou partnership" in visit(client, program.get_absolute_url())[0]
        Program.objects.filter(pk=program.pk).update(publication_state=PublicationState.WITHDRAWN)
        assert "Kuaishou partnership" not in visit(client, "/programs/")[0]
        assert client.get(program.get_absolute_url()).status_code == 404

    def test_each_language_has_its_own_page(self, client, page_cache):
        ProgramFactory(published=True, title_en="Douyin campaign", title_zh="抖音直播活动")
        english, _ = visit(client, "/programs/")
        chinese, _ = visit(client, "/zh-hans/programs/")
        assert "Douyin campaign" in english and "抖音直播活动" not in english
        assert "抖音直播活动" in chinese

    def test_api_answers_are_served_again_and_follow_withdrawals(self, client, page_cache):
        program = ProgramFactory(published=True, title_en="JD.com rural logistics")
        first = client.get("/api/programs/")
        with CaptureQueriesContext(connection) as queries:
            again = client.get("/api/programs/")
        # Only the snapshot is read: the answer is the stored one.
        assert len(queries) == 1
        assert again.json() == first.json()
        assert again["Content-Type"] == "application/json"
        assert program.slug in [row["slug"] for row in again.json()["results"]]
        Program.objects.filter(pk=program.pk).update(publication_state=PublicationState.WITHDRAWN)
        assert client.get("/api/programs/").json()["results"] == []
        assert client.get(f"/api/programs/{program.slug}/").status_code == 404

    def test_an_api_answer_is_kept_per_host_and_layout(self, client, page_cache, settings):
        settings.ALLOWED_HOSTS = ["data.example"]
        ProgramFactory.create_batch(2, published=True)
        url = "/api/programs/?page_size=1"
        client.get(url, HTTP_HOST="data.example:6666", HTTP_ACCEPT="application/json; indent=4")
        plain = client.get(url, HTTP_HOST="data.example")
        # Another port's links and another layout are not handed on.
        assert plain.json()["next"].startswith("http://data.example/api/programs/?")
        assert b"\n" not in plain.content

    def test_cached_api_answers_still_count_against_the_rate_limit(
        self, client, page_cache, settings, monkeypatch
    ):
        monkeypatch.setattr(page_cache_module, "database_snapshot", lambda: "100:100:")
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"},
        }
        caches["default"].clear()
        ProgramFactory(published=True)
        answers = [client.get("/api/programs/").status_code for _ in range(4)]
        caches["default"].clear()
        assert answers == [200, 200, 200, 429]

    def test_staff_pages_are_always_rendered(self, client, page_cache):
        client.force_login(SuperuserFactory())
        visit(client, "/programs/")
        _, queries = visit(client, "/programs/")
        assert queries > 1


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL has a snapshot")
@pytest.mark.django_db
def test_without_a_snapshot_every_visit_renders(client, page_cache):
    assert database_snapshot() is None
    ProgramFactory(published=True, title_en="Alibaba partnership")
    _, first = visit(client, "/programs/")
    _, second = visit(client, "/programs/")
    assert first == second > 1
