"""Production settings, error pages, the health check, backups."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import OperationalError, connections
from django.test import override_settings
from reversion.models import Version

from metrics.models import ContentVersion, Observation
from programs.models import Program

ROOT = Path(__file__).resolve().parents[2]

# The production environment the deployment guide documents.
PRODUCTION_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "a-long-random-production-key-" + "x9Qv2LmZ7tKp4Rw8" * 3,
    "DJANGO_ALLOWED_HOSTS": "programs.commerce.example.gov.cn",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://programs.commerce.example.gov.cn",
    "DJANGO_HTTPS": "1",
    "DATABASE_URL": "postgres://app@db.internal:5432/programs",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "TRUSTED_PROXY_COUNT": "1",
    "EMAIL_HOST": "smtp.commerce.example.gov.cn",
    "DEFAULT_FROM_EMAIL": "programs@commerce.example.gov.cn",
    "SITE_URL": "https://programs.commerce.example.gov.cn",
}


def deploy_check(environment_changes: dict):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "DATABASE_", "REDIS_", "TRUSTED_PROXY_", "EMAIL_", "SITE_URL")
        )
    }
    environment.update(PRODUCTION_ENVIRONMENT)
    for key, value in environment_changes.items():
        if value is None:
            environment.pop(key)
        else:
            environment[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deployment_checks_pass_with_the_documented_environment():
    result = deploy_check({})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "warning"),
    [
        ("REDIS_URL", "config.W001"),
        ("TRUSTED_PROXY_COUNT", "config.W002"),
        # Without a mail server the reminders go nowhere.
        ("EMAIL_HOST", "mail.E001"),
    ],
)
def test_deployment_checks_name_what_is_missing(missing, warning):
    result = deploy_check({missing: None})
    assert result.returncode != 0
    assert warning in result.stderr + result.stdout


def test_security_headers_on_public_pages(client, shanxi):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_admin_pages_carry_the_policy_too(admin_client):
    policy = admin_client.get("/admin/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/programs/no-such-program/", 404, "Page not found"),
        ("/regions/999999/", 404, "Page not found"),
        ("/programs/export.csv?region=abc", 400, "Bad request"),
    ],
)
def test_error_pages_are_plain_and_reveal_nothing(client, shanxi, path, status, text):
    response = client.get(path)
    assert response.status_code == status
    body = response.content.decode()
    assert text in body
    for leak in ("Traceback", "SELECT", "django.", 'File "'):
        assert leak not in body


def test_a_server_error_is_logged_and_shown_without_a_traceback(client, caplog, monkeypatch):
    from programs import views

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.ProgramListView, "get_queryset", broken)
    client.raise_request_exception = False
    with caplog.at_level("ERROR", logger="django.request"):
        response = client.get("/programs/")
    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert "Something went wrong" in response.content.decode()
    assert any("secret internals" in str(record.exc_info) for record in caplog.records)


def test_a_lost_database_answers_503_with_retry_after(client, monkeypatch):
    from programs import views

    def unreachable(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(views.ProgramListView, "get_queryset", unreachable)
    client.raise_request_exception = False
    response = client.get("/programs/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Temporarily unavailable" in response.content.decode()


def test_a_driver_error_that_escapes_unwrapped_also_answers_503(client, monkeypatch):
    """psycopg's own error, as when closing a server-side cursor on a dropped connection."""
    from programs import views

    driver_error = connections["default"].Database.OperationalError

    def dropped(*args, **kwargs):
        raise driver_error("consuming input failed: server closed the connection unexpectedly")

    monkeypatch.setattr(views.ProgramListView, "get_queryset", dropped)
    client.raise_request_exception = False
    assert client.get("/programs/").status_code == 503


@pytest.mark.django_db
def test_health_check_reports_database_and_migrations(client, monkeypatch):
    from config import views

    assert client.get("/healthz").json() == {"status": "ok"}

    monkeypatch.setattr(views, "_migrations_checked_at", 0.0)
    monkeypatch.setattr(
        views.MigrationExecutor, "migration_plan", lambda self, targets: [("metrics", "9999")]
    )
    pending = client.get("/healthz")
    assert pending.status_code == 503 and pending.json()["status"] == "migrations pending"

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", down)
    refused = client.get("/healthz")
    assert refused.status_code == 503 and refused.json()["status"] == "database unavailable"


def table_snapshot():
    """Row counts and a checksum per table, from the natural-key serialisation."""
    from django.apps import apps

    snapshot = {}
    for model in apps.get_models():
        if model._meta.app_label in {"metrics", "programs", "reversion", "auth", "admin"}:
            if model._meta.label in {"auth.Permission", "metrics.ContentVersion"}:
                continue
            rows = sorted(repr(row) for row in model.objects.values_list(*_comparable(model)))
            snapshot[model._meta.label] = (len(rows), hash(tuple(rows)))
    return snapshot


def _comparable(model):
    """Columns that do not depend on the database's own numbering of content types."""
    fields = []
    for field in model._meta.concrete_fields:
        if field.is_relation and field.related_model.__name__ == "ContentType":
            fields += [f"{field.name}__app_label", f"{field.name}__model"]
        else:
            fields.append(field.attname)
    return fields


@pytest.mark.django_db(transaction=True)
def test_backup_restores_demo_synthetic_data_and_history_into_an_empty_database(tmp_path):
    call_command("loaddata", "shanxi_2020", verbosity=0)
    call_command("generate_synthetic", programs=150, observations=3000, seed=7, verbosity=0)
    call_command("create_demo_staff", verbosity=0)
    before = table_snapshot()
    assert before["metrics.Observation"][0] > 3000
    assert before["reversion.Version"][0] > 80
    backup = tmp_path / "backup.jsonl.gz"

    call_command("backup", str(backup), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", "programs", "0002", verbosity=0)  # an empty database ...
    call_command("migrate", verbosity=0)  # ... migrated as a new server would be
    assert not Observation.objects.exists()
    version_before_restore = ContentVersion.current()
    call_command("restore", str(backup), verbosity=0)

    assert table_snapshot() == before
    assert ContentVersion.current() > version_before_restore  # no page cached before is served
    program = Program.objects.get(slug="internet-platform-cooperation")
    assert Version.objects.get_for_object(program).exists()
    assert get_user_model().objects.filter(username="demo-editor").exists()


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(tmp_path, shanxi):
    from django.core.management.base import CommandError

    backup = tmp_path / "backup.jsonl"
    call_command("backup", str(backup), verbosity=0)
    with pytest.raises(CommandError, match="already holds records"):
        call_command("restore", str(backup), verbosity=0)


@override_settings(DEBUG=False)
def test_debug_is_off_by_default_in_settings():
    from config import settings

    assert settings.DEBUG is False
