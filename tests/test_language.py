"""
A page without a language in its address is served in the visitor's
language: the one they chose with the language switch, else the one their
browser asks for (any Chinese reads Simplified Chinese), else English. An
address with /zh-hans/ or /en/ is a permalink in that language for
everyone. The page cache keeps each language's page apart, and the
headers tell shared caches to do the same.
"""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shanxi_module")]

PROGRAM = "/programs/linfen-county-officials-livestreaming-2020/"
CHINESE_BROWSERS = ["zh-CN", "zh-Hans", "zh-TW", "zh", "zh-HK,zh;q=0.9,en;q=0.8"]
ENGLISH_BROWSERS = ["en", "en-GB,en;q=0.9", "fr-FR,fr;q=0.9", ""]


def language_of(response) -> str:
    """The language a page is in, by what it says and what it shows."""
    assert response.status_code == 200
    html = response.content.decode()
    said = response["Content-Language"]
    lang = re.search(r'<html lang="([^"]+)"', html)[1].lower()
    assert lang == said, (lang, said)
    return said


def get(client, url, accept_language=None, **headers):
    if accept_language is not None:
        headers["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return client.get(url, **headers)


def choose(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


@pytest.mark.parametrize("url", ["/", "/programs/", PROGRAM, "/admin/login/"])
@pytest.mark.parametrize("accept_language", CHINESE_BROWSERS)
def test_a_chinese_browser_reads_chinese(client, url, accept_language):
    response = get(client, url, accept_language)
    assert language_of(response) == "zh-hans"


@pytest.mark.parametrize("url", ["/", "/programs/", PROGRAM, "/admin/login/"])
@pytest.mark.parametrize("accept_language", ENGLISH_BROWSERS)
def test_any_other_browser_reads_english(client, url, accept_language):
    response = get(client, url, accept_language)
    assert language_of(response) == "en"


def test_no_accept_language_at_all_reads_english(client):
    assert language_of(client.get("/")) == "en"


def test_the_chinese_page_shows_chinese_content(client):
    program = get(client, PROGRAM, "zh-CN").content.decode()
    assert "临汾县级干部直播带货活动" in program
    assert "Linfen county officials" not in program
    login = get(client, "/admin/login/", "zh-CN").content.decode()
    assert "登录" in login


@pytest.mark.parametrize("url", ["/", PROGRAM, "/admin/login/"])
def test_the_language_chosen_beats_the_browser(client, url):
    choose(client, "en")
    assert language_of(get(client, url, "zh-CN")) == "en"
    choose(client, "zh-hans")
    assert language_of(get(client, url, "en-US")) == "zh-hans"


@pytest.mark.parametrize("url", ["/", PROGRAM, "/admin/login/"])
def test_a_language_in_the_address_beats_choice_and_browser(client, url):
    choose(client, "en")
    assert language_of(get(client, "/zh-hans" + url, "en")) == "zh-hans"
    choose(client, "zh-hans")
    assert language_of(get(client, "/en" + url, "zh-CN")) == "en"


def test_an_english_permalink_shows_the_english_page(client):
    english = get(client, "/en" + PROGRAM, "zh-CN").content.decode()
    assert "Linfen county officials" in english
    assert "临汾县级干部直播带货活动" not in english


def test_a_chinese_page_links_on_in_chinese(client):
    home = get(client, "/", "zh-CN").content.decode()
    assert 'href="/zh-hans/programs/"' in home


def test_the_switch_remembers_the_choice(client):
    # A Chinese browser, reading the filtered list in Chinese, switches to English.
    response = client.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/programs/?kind=platform_partnership"},
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert response.status_code == 302
    assert response["Location"] == "/programs/?kind=platform_partnership"
    assert language_of(get(client, response["Location"], "zh-CN")) == "en"
    assert language_of(get(client, "/", "zh-CN")) == "en"

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/programs/"})
    assert response["Location"] == "/zh-hans/programs/"
    assert language_of(get(client, "/", "en")) == "zh-hans"


def test_every_page_offers_the_switch_to_the_other_language(client):
    english = get(client, "/programs/?kind=platform_partnership", "en").content.decode()
    assert 'name="next" value="/programs/?kind=platform_partnership"' in english
    assert 'name="language" value="zh-hans"' in english
    chinese = get(client, "/programs/", "zh-CN").content.decode()
    assert 'name="language" value="en"' in chinese


def test_each_page_names_its_address_in_each_language(client):
    html = get(client, "/programs/?kind=platform_partnership", "zh-CN").content.decode()
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))
    assert alternates == {
        "en": "http://testserver/en/programs/?kind=platform_partnership",
        "zh-Hans": "http://testserver/zh-hans/programs/?kind=platform_partnership",
        "x-default": "http://testserver/programs/?kind=platform_partnership",
    }


@pytest.mark.parametrize("url", ["/", PROGRAM, "/admin/login/"])
def test_an_address_without_a_language_tells_caches_what_chose_it(client, url):
    vary = {value.strip() for value in get(client, url, "zh-CN")["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


@pytest.mark.parametrize("url", ["/zh-hans/", "/en/", "/zh-hans" + PROGRAM])
def test_a_permalink_does_not_vary_with_the_browser(client, url):
    response = get(client, url, "zh-CN")
    assert "Accept-Language" not in response.get("Vary", "")


def test_the_open_data_api_stays_in_english(client):
    response = get(client, "/api/programs/", "zh-CN")
    assert response["Content-Language"] == "en"


def visit(client, url, accept_language):
    with CaptureQueriesContext(connection) as queries:
        response = get(client, url, accept_language)
    return language_of(response), response.content.decode(), len(queries)


@pytest.mark.parametrize("url", ["/programs/", PROGRAM])
def test_the_page_cache_serves_each_visitor_their_language(client, page_cache, url):
    chinese, chinese_page, _ = visit(client, url, "zh-CN")
    english, english_page, _ = visit(client, url, "en")
    again, again_page, queries = visit(client, url, "zh-CN")
    assert (chinese, english, again) == ("zh-hans", "en", "zh-hans")
    assert "临汾县级干部直播带货活动" in chinese_page
    assert "临汾县级干部直播带货活动" not in english_page
    # Served from the cache (only the content version read), and still Chinese.
    assert queries == 1 and again_page == chinese_page
    assert "Accept-Language" in get(client, url, "zh-CN")["Vary"]


def test_the_page_cache_keeps_one_page_per_language_not_per_browser(client, page_cache):
    visit(client, "/programs/", "zh-CN")
    for accept_language in ["zh-TW", "zh-Hans,en;q=0.5", "zh"]:
        language, _, queries = visit(client, "/programs/", accept_language)
        assert (language, queries) == ("zh-hans", 1)
    visit(client, "/programs/", "en")
    for accept_language in ["en-GB", "fr", ""]:
        language, _, queries = visit(client, "/programs/", accept_language)
        assert (language, queries) == ("en", 1)


def test_the_page_cache_follows_the_language_chosen(client, page_cache):
    visit(client, "/programs/", "zh-CN")
    choose(client, "en")
    language, page, _ = visit(client, "/programs/", "zh-CN")
    assert language == "en" and "临汾县级干部直播带货活动" not in page


def test_staff_switch_the_admin_and_it_stays_switched(client, admin_user):
    login = get(client, "/admin/login/", "zh-CN").content.decode()
    assert 'name="language" value="en"' in login
    client.force_login(admin_user)
    assert language_of(get(client, "/admin/", "zh-CN")) == "zh-hans"
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/metrics/"})
    assert response["Location"] == "/admin/metrics/"
    assert language_of(get(client, "/admin/", "zh-CN")) == "en"
    assert 'name="language" value="zh-hans"' in get(client, "/admin/", "zh-CN").content.decode()
