"""
Schema-driven tests: schemathesis generates requests from the OpenAPI
schema for every operation and checks each answer: no server error, and
status, headers and body as the schema documents them.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from config.wsgi import application

# Generating the schema reads no data, so it is loaded once, when tests are collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def keep_test_transaction():
    """
    Requests go through the real WSGI application, whose request signals close
    the database connection when it is not in autocommit mode, as it is not
    inside a test's transaction: on PostgreSQL every later query would then
    fail. Django's own test client detaches the same handler for this reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_to_its_schema(case, shanxi_module, db, keep_test_transaction):
    # An empty filter value ("?category=") means "no filter", as on the public
    # pages, so requests schemathesis calls invalid for that are not refused.
    case.call_and_validate(excluded_checks=[schemathesis.checks.negative_data_rejection])


def test_the_schema_documents_every_endpoint(client):
    document = client.get("/api/schema/?format=json").json()
    paths = set(document["paths"])
    for resource, key in [
        ("regions", "code"),
        ("metrics", "slug"),
        ("observations", "id"),
        ("programs", "slug"),
        ("organisations", "slug"),
        ("sources", "slug"),
    ]:
        assert f"/api/{resource}/" in paths
        assert f"/api/{resource}/{{{key}}}/" in paths
    assert document["openapi"].startswith("3.")


def test_the_documentation_page_needs_no_other_host(client):
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "http://" not in html and "https://" not in html
    assert "<style" not in html and "<script>" not in html  # no inline code under the CSP
