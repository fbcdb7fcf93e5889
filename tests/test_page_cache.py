"""
Rendered public pages are served again while published content is
unchanged, and never after a change to it: a withdrawn program disappears
at once. The key is the content version the database raises with every
change to published content, and only then: drafts, sessions, sign-in
attempts and jobs leave it (and every cached page) as it is.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import ContentVersion, PublicationState, ReviewStep
from metrics.periods import Period
from metrics.workflow import steps
from programs.models import Program
from tests.factories import ObservationFactory, ProgramFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    caches[settings.PUBLIC_PAGE_CACHE].clear()
    yield
    caches[settings.PUBLIC_PAGE_CACHE].clear()


def visit(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_second_visit_reads_only_the_content_version(client, page_cache):
    ProgramFactory(published=True, title_en="Rural logistics build-out")
    first, rendering = visit(client, "/programs/")
    again, cached = visit(client, "/programs/")
    assert "Rural logistics build-out" in first
    assert again == first
    assert rendering > 1 and cached == 1


def test_publishing_moves_the_version_and_drafts_do_not():
    # The published reference data the drafts point at exists first.
    figure = ObservationFactory()
    program = ProgramFactory(title_en="Draft program")
    before = ContentVersion.current()
    ProgramFactory(title_en="Another draft", lead_organisation=program.lead_organisation)
    Program.objects.filter(pk=program.pk).update(title_en="Renamed draft")
    ObservationFactory(
        metric=figure.metric, region=figure.region, source=figure.source, period=Period.year(2019)
    )
    assert ContentVersion.current() == before
    Program.objects.filter(pk=program.pk).update(publication_state=PublicationState.PUBLISHED)
    assert ContentVersion.current() > before


def test_what_staff_do_outside_published_content_leaves_the_cache(client, page_cache, admin_user):
    program = ProgramFactory(published=True, title_en="Kuaishou partnership")
    draft = ProgramFactory(title_en="Kuaishou follow-up", regions=list(program.regions.all()))
    visit(client, "/programs/")
    before = ContentVersion.current()
    steps.submit(records=[draft], user=admin_user)  # a review step and a state change
    assert ReviewStep.objects.exists()
    client.force_login(admin_user)  # a session written
    client.logout()
    assert ContentVersion.current() == before
    assert visit(client, "/programs/")[1] == 1


def test_a_withdrawn_program_disappears_at_once(client, page_cache):
    program = ProgramFactory(published=True, title_en="Kuaishou partnership")
    assert "Kuaishou partnership" in visit(client, "/programs/")[0]
    assert "Kuaishou partnership" in visit(client, program.get_absolute_url())[0]
    Program.objects.filter(pk=program.pk).update(publication_state=PublicationState.WITHDRAWN)
    assert "Kuaishou partnership" not in visit(client, "/programs/")[0]
    assert client.get(program.get_absolute_url()).status_code == 404


def test_each_language_has_its_own_page(client, page_cache):
    ProgramFactory(published=True, title_en="Douyin campaign", title_zh="抖音直播活动")
    english, _ = visit(client, "/programs/")
    chinese, _ = visit(client, "/zh-hans/programs/")
    assert "Douyin campaign" in english and "抖音直播活动" not in english
    assert "抖音直播活动" in chinese


def test_api_answers_are_served_again_and_follow_withdrawals(client, page_cache):
    program = ProgramFactory(published=True, title_en="JD.com rural logistics")
    first = client.get("/api/programs/")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/programs/")
    # Only the content version is read: the answer is the stored one.
    assert len(queries) == 1
    assert again.json() == first.json()
    assert again["Content-Type"] == "application/json"
    assert program.slug in [row["slug"] for row in again.json()["results"]]
    Program.objects.filter(pk=program.pk).update(publication_state=PublicationState.WITHDRAWN)
    assert client.get("/api/programs/").json()["results"] == []
    assert client.get(f"/api/programs/{program.slug}/").status_code == 404


def test_an_api_answer_is_kept_per_host_and_layout(client, page_cache, settings):
    settings.ALLOWED_HOSTS = ["data.example"]
    ProgramFactory.create_batch(2, published=True)
    url = "/api/programs/?page_size=1"
    client.get(url, HTTP_HOST="data.example:6666", HTTP_ACCEPT="application/json; indent=4")
    plain = client.get(url, HTTP_HOST="data.example")
    # Another port's links and another layout are not handed on.
    assert plain.json()["next"].startswith("http://data.example/api/programs/?")
    assert b"\n" not in plain.content


def test_cached_api_answers_still_count_against_the_rate_limit(client, page_cache, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"},
    }
    caches["default"].clear()
    ProgramFactory(published=True)
    answers = [client.get("/api/programs/").status_code for _ in range(4)]
    caches["default"].clear()
    assert answers == [200, 200, 200, 429]


def test_staff_pages_are_always_rendered(client, page_cache):
    client.force_login(SuperuserFactory())
    visit(client, "/programs/")
    _, queries = visit(client, "/programs/")
    assert queries > 1


@pytest.mark.parametrize("cookie", ["sessionid=bogus", "sessionid=", "sessionid=x; csrftoken=y"])
def test_a_made_up_session_cookie_is_served_from_the_cache(client, page_cache, cookie):
    """Reproduction: `Cookie: sessionid=bogus` got a full render every time."""
    ProgramFactory(published=True)
    visit(client, "/programs/")
    client.cookies.load(cookie)
    _, queries = visit(client, "/programs/")
    assert queries <= 2  # the version, and looking the made-up session up
