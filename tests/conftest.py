"""Test-only settings and the fixtures every test module shares."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import translation

TEST_SETTINGS = {
    # Whitenoise's manifest storage needs `collectstatic`; tests render
    # templates without it.
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
    # A fast hasher: tests create users and log in; nothing is kept.
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Schema tests send hundreds of requests a minute; the limit has its own test.
    "REST_FRAMEWORK": {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/minute"},
    },
    # Pages are rendered on every request, so a test sees its own writes
    # whatever the content version; tests/test_page_cache.py turns the
    # cache on over committed writes.
    "PUBLIC_PAGE_CACHE_SECONDS": 0,
    # Crawls and fuzzing render thousands of pages from one address; the
    # budget has its own tests.
    "PUBLIC_RENDER_BUDGET": "",
}


@pytest.fixture(autouse=True, scope="session")
def _test_settings(tmp_path_factory):
    # Uploaded releases go to a directory of the test run's own.
    media = tmp_path_factory.mktemp("media")
    with override_settings(**TEST_SETTINGS, MEDIA_ROOT=str(media)):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """
    Sign-in attempts and rate-limit counters live in the cache, and so do
    parts of public pages: each test starts with none. (A test's writes are
    rolled back, so the next test may count the same content version.)
    """
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _language_of_the_settings():
    """A request to /zh-hans/ leaves Chinese active in the thread: each test starts anew."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def load_demo():
    call_command("loaddata", "shanxi_2020", verbosity=0)
    call_command("loaddata", "shanxi_outlines", verbosity=0)
    call_command("loaddata", "shanxi_calendars", verbosity=0)


@pytest.fixture
def shanxi(db):
    """The Shanxi 2020 demo, loaded the way `make run` loads it."""
    load_demo()


def _demo_in_an_outer_transaction(django_db_setup, django_db_blocker):
    """
    Load the demo once for a whole class or module of tests, in a
    transaction rolled back after them. Validating the fixture costs about a
    second, so tests that read the demo share one load; each test still runs
    in its own savepoint (pytest-django's `db`), so none can leak into another.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        load_demo()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


shanxi_once = pytest.fixture(scope="class", name="shanxi_once")(_demo_in_an_outer_transaction)
shanxi_module = pytest.fixture(scope="module", name="shanxi_module")(_demo_in_an_outer_transaction)


@pytest.fixture
def page_cache(settings):
    """The public page cache on (the test settings turn it off), empty before and after."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    caches[settings.PUBLIC_PAGE_CACHE].clear()
    yield
    caches[settings.PUBLIC_PAGE_CACHE].clear()
