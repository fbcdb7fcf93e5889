"""
Rendered public pages are served again while published content is
unchanged, and never after a change to it: a withdrawn program disappears
at once. The key is the content version the database raises with every
change to published content, and only then: drafts, sessions, sign-in
attempts and jobs leave it (and every cached page) as it is.
"""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from metrics.models import ContentVersion, Observation, PublicationState, ReviewStep
from metrics.periods import Period
from metrics.workflow import steps
from programs.models import Program
from tests.factories import (
    ObservationFactory,
    OrganisationFactory,
    PartnershipFactory,
    ProgramFactory,
    RegionFactory,
    SuperuserFactory,
)

pytestmark = pytest.mark.django_db


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


# Parts of pages that every address of a page shares (metrics.page_cache.remembered):
# kept per content version even with the page cache off, as on a cache miss.


def statements(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def test_another_sort_or_page_of_a_list_draws_only_its_own_rows(client):
    for number in range(30):
        program = ProgramFactory(published=True, title_en=f"Livestream base {number:02}")
        PartnershipFactory(program=program)
    _, first = statements(client, "/programs/?q=Livestream&page=2")
    html, again = statements(client, "/programs/?q=Livestream&sort=-title&page=2")
    assert "Livestream base 04" in html  # the second page, backwards
    # The partner, sector and region choices and the count of the search
    # are read once; the rows are read for each address.
    assert any("programs_partnership" in sql for sql in first)
    assert not any("programs_partnership" in sql for sql in again)
    assert not any("COUNT(*)" in sql for sql in again)
    assert "Showing 26–30 of 30" in html


def test_another_page_of_the_programs_api_draws_only_programs_not_shown_yet(client, settings):
    for number in range(12):
        PartnershipFactory(program=ProgramFactory(published=True, slug=f"base-{number:02}"))
    _, first = statements(client, "/api/programs/?page_size=6")
    answer, again = statements(client, "/api/programs/?page_size=3")  # the first 6, again
    assert any("programs_partnership" in sql for sql in first)
    assert not any("programs_partnership" in sql for sql in again)
    _, further = statements(client, "/api/programs/?page_size=6&page=2")
    assert any("programs_partnership" in sql for sql in further)
    # What is remembered is what a fresh render gives.
    settings.PUBLIC_PART_CACHE_SECONDS = 0
    fresh = client.get("/api/programs/?page_size=3").content.decode()
    assert answer == fresh
    assert [program["slug"] for program in json.loads(answer)["results"]] == [
        "base-00",
        "base-01",
        "base-02",
    ]


def test_a_remembered_api_record_follows_a_correction_at_once(client):
    partnership = PartnershipFactory(
        program=ProgramFactory(published=True), role_detail_en="Runs training"
    )
    assert client.get("/api/programs/").json()["results"][0]["partners"][0]["role_detail_en"] == (
        "Runs training"
    )
    partnership.role_detail_en = "Runs the base"
    partnership.save()
    partners = client.get("/api/programs/?page_size=5").json()["results"][0]["partners"]
    assert partners[0]["role_detail_en"] == "Runs the base"


def test_shared_parts_follow_published_content_at_once(client):
    region = RegionFactory()
    program = ProgramFactory(published=True, title_en="Alibaba service centres", regions=[region])
    PartnershipFactory(program=program, organisation=OrganisationFactory(name_en="Alibaba"))
    assert "Alibaba" in client.get("/programs/").content.decode()
    figure = ObservationFactory(published=True, region=region, value=Decimal("10770000000"))
    before = figure.formatted_value
    assert before in client.get(f"/regions/{region.code}/").content.decode()
    newcomer = ProgramFactory(published=True, regions=[region])
    PartnershipFactory(program=newcomer, organisation=OrganisationFactory(name_en="Kuaishou"))
    Observation.objects.filter(pk=figure.pk).update(value=Decimal("9860000000"))
    figure.refresh_from_db()
    assert ">Kuaishou<" in client.get("/programs/?sort=-title").content.decode()
    page = client.get(f"/regions/{region.code}/?sort=-title").content.decode()
    assert figure.formatted_value in page and before not in page


def test_shared_parts_are_kept_per_language(client):
    region = RegionFactory(name_en="Linfen", name_zh="临汾市")
    figure = ObservationFactory(published=True, region=region)
    metric_page = f"/metrics/{figure.metric.slug}/"
    assert "Linfen" in client.get(f"/regions/{region.code}/").content.decode()
    assert "Linfen (" in client.get(metric_page).content.decode()  # a region choice
    assert "临汾市" in client.get(f"/zh-hans/regions/{region.code}/").content.decode()
    assert "临汾市 (" in client.get(f"/zh-hans{metric_page}").content.decode()


def test_staff_lists_count_drafts_every_time(client):
    client.force_login(SuperuserFactory())
    ProgramFactory(title_en="First draft")
    assert "1 program" in client.get("/admin/programs/program/").content.decode()
    ProgramFactory(title_en="Second draft")  # a draft moves no content version
    assert "2 programs" in client.get("/admin/programs/program/").content.decode()


def test_a_choice_is_labelled_as_django_labels_it():
    program = ProgramFactory.build()
    for value, label in Program.Kind.choices:
        program.kind = value
        assert program.get_kind_display() == str(label)
        with translation.override("zh-hans"):
            assert program.get_kind_display() == str(label)  # translated now
            assert program.get_kind_display() != value
    program.kind = "not-a-kind"
    assert program.get_kind_display() == "not-a-kind"


@pytest.mark.parametrize("url", ["/programs/?q=base", "/metrics/", "/regions/141000/", "/"])
def test_a_page_reads_the_content_version_once(client, shanxi, page_cache, url):
    # Its key and each part it remembers agree on one version, read once.
    _, sql = statements(client, url)
    assert sum("metrics_contentversion" in statement for statement in sql) == 1


def test_a_release_empties_the_public_cache(client, page_cache):
    ProgramFactory(published=True, title_en="Alibaba service centres")
    _, first = visit(client, "/programs/")
    _, again = visit(client, "/programs/")
    assert again == 1  # the content version, then the cached page
    call_command("clear_public_cache", stdout=StringIO())
    _, after_release = visit(client, "/programs/")
    assert after_release == first
