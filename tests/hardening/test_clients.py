"""
Who a request comes from, through trusted proxies only; what a client may
cost: the API's rate limit, the sign-in lockout and the budget of uncached
page renders all count by that address, and a made-up X-Forwarded-For
changes none of them.
"""

import io
import logging

import openpyxl
import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory

from config.clients import ClientAddressFilter, client_address
from metrics.models import Observation
from tests.factories import ProgramFactory, SuperuserFactory
from tests.test_admin import export_observations

pytestmark = pytest.mark.django_db


def request_from(remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


class TestClientAddress:
    def test_without_configuration_the_header_is_ignored(self, settings):
        settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 0, []
        assert client_address(request_from("203.0.113.9", "1.2.3.4")) == "203.0.113.9"

    @pytest.mark.parametrize(
        ("count", "forwarded", "expected"),
        [
            (1, "198.51.100.7", "198.51.100.7"),
            (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a made-up first entry
            (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
            (2, "198.51.100.7", "10.0.0.1"),  # fewer hops than proxies: the direct peer
            (1, "not-an-address", "10.0.0.1"),
        ],
    )
    def test_a_number_of_proxies(self, settings, count, forwarded, expected):
        settings.TRUSTED_PROXY_COUNT = count
        assert client_address(request_from("10.0.0.1", forwarded)) == expected

    def test_proxy_networks(self, settings):
        settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS = 0, ["10.0.0.0/8"]
        chain = "6.6.6.6, 198.51.100.7, 10.1.1.1"
        assert client_address(request_from("10.0.0.1", chain)) == "198.51.100.7"
        # A request that does not come from a trusted proxy: its header is the client's word.
        assert client_address(request_from("203.0.113.9", chain)) == "203.0.113.9"

    def test_logs_name_the_client(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        record = logging.LogRecord("django.request", logging.ERROR, "", 0, "boom", (), None)
        record.request = request_from("10.0.0.1", "198.51.100.7")
        assert ClientAddressFilter().filter(record) and record.client == "198.51.100.7"
        plain = logging.LogRecord("metrics", logging.INFO, "", 0, "note", (), None)
        assert ClientAddressFilter().filter(plain) and plain.client == "-"


def test_a_made_up_forwarded_address_does_not_escape_the_api_limit(client, settings):
    """Reproduction: a new X-Forwarded-For on each request got 300 answers of 300."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "5/minute"},
    }
    ProgramFactory(published=True)
    answers = [
        client.get("/api/programs/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(10)
    ]
    assert answers == [200] * 5 + [429] * 5


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute"},
    }
    ProgramFactory(published=True)

    def ask(forwarded):
        return client.get("/api/programs/", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [ask("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert ask("198.51.100.2") == 200
    # Prepending a made-up address does not make a new client.
    assert ask("6.6.6.6, 198.51.100.1") == 429


def test_the_sign_in_lockout_counts_the_same_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    SuperuserFactory(username="li.wei")

    def sign_in(forwarded):
        return (
            Client()
            .post(
                "/admin/login/",
                {"username": "li.wei", "password": "wrong-password-1"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=forwarded,
            )
            .status_code
        )

    answers = [sign_in(f"6.6.6.{n}, 198.51.100.1") for n in range(6)]
    assert answers[-1] == 429
    assert sign_in("198.51.100.2") == 200  # another client, same proxy


class TestRenderBudget:
    @pytest.fixture
    def budget(self, settings):
        settings.PUBLIC_PAGE_CACHE_SECONDS = 300
        settings.PUBLIC_RENDER_BUDGET = "3/minute"
        caches[settings.PUBLIC_PAGE_CACHE].clear()
        ProgramFactory(published=True)

    def test_past_the_budget_a_client_waits_and_cached_pages_are_still_served(self, client, budget):
        answers = [client.get(f"/programs/?year={2017 + n}").status_code for n in range(4)]
        assert answers == [200, 200, 200, 429]
        refused = client.get("/programs/?year=2030")
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert "Too many requests" in refused.content.decode()
        assert client.get("/programs/?year=2017").status_code == 200  # from the cache

    def test_other_clients_and_staff_are_not_held_up(self, client, budget):
        for n in range(4):
            client.get(f"/programs/?year={2017 + n}")
        assert Client(REMOTE_ADDR="198.51.100.2").get("/programs/?year=2031").status_code == 200
        staff = Client()
        staff.force_login(SuperuserFactory())
        assert staff.get("/programs/?year=2032").status_code == 200

    def test_downloads_count_too(self, client, budget):
        answers = [
            client.get(f"/programs/export.csv?year={2017 + n}").status_code for n in range(4)
        ]
        assert answers == [200, 200, 200, 429]


def test_the_admin_export_neutralises_formulas(admin_client, shanxi):
    """Reproduction: a quote of =HYPERLINK(...) came out live in the admin's CSV and XLSX."""
    formula = '=HYPERLINK("http://evil.example","q")'
    Observation.objects.filter(metric__slug="online-retail-sales").update(source_quote=formula)
    exported = export_observations(admin_client)
    assert f"'{formula}".replace('"', '""') in exported["csv"].decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(exported["xlsx"])).active
    quotes = [row[-1].value for row in sheet.iter_rows(min_row=2)]
    assert f"'{formula}" in quotes
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
