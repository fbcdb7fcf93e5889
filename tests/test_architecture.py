"""The layout DESIGN.md fixes: programs builds on metrics, never the other way round."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(source: str) -> set[str]:
    """Every module a piece of Python imports, absolute or by `importlib`."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return found


def imports_programs(source: str) -> bool:
    return any(
        name == "programs" or name.startswith("programs.") for name in imported_modules(source)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from programs.models import Program", True),
        ("import programs.admin", True),
        ("from programs import models", True),
        ("import importlib\nimportlib.import_module('programs.models')", True),
        ("def f():\n    from programs.models import Outcome\n    return Outcome", True),
        ("from metrics.models import Region", False),
        ("from . import programs", False),  # a sibling module that happens to be named so
        ("import programs_helper", False),
    ],
)
def test_the_import_check_itself(source, expected):
    assert imports_programs(source) is expected


def test_metrics_never_imports_programs():
    modules = sorted((ROOT / "metrics").rglob("*.py"))
    assert len(modules) > 10
    offenders = [
        str(path.relative_to(ROOT))
        for path in modules
        if imports_programs(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_metrics_model_points_at_a_programs_model():
    for model in apps.get_app_config("metrics").get_models():
        for field in model._meta.get_fields():
            related = field.related_model
            if related is not None and not field.auto_created:
                assert related._meta.app_label != "programs", f"{model.__name__}.{field.name}"


@pytest.mark.django_db
def test_migrations_match_the_models():
    # Exits with status 1 when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def names_in_database(cursor, table: str) -> set[str]:
    """Names of the table's constraints and indexes, as the database has them."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return set(connection.introspection.get_constraints(cursor, table))
    # Django's SQLite introspection cannot parse every table definition: read
    # index names and the table's named constraints from sqlite_master.
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = %s", [table])
    rows = cursor.fetchall()
    table_sql = next(sql for name, sql in rows if name == table)
    return {name for name, _sql in rows} | set(re.findall(r'CONSTRAINT "([^"]+)"', table_sql))


@pytest.mark.django_db
def test_every_declared_constraint_and_index_exists_in_the_database():
    """Migrations leave each model's constraints and indexes in the database, on either engine."""
    from django.db import connection

    models = [*apps.get_app_config("metrics").get_models()]
    models += apps.get_app_config("programs").get_models()
    missing = []
    with connection.cursor() as cursor:
        for model in models:
            present = names_in_database(cursor, model._meta.db_table)
            declared = [*model._meta.constraints, *model._meta.indexes]
            missing += [
                f"{model._meta.label}.{item.name}" for item in declared if item.name not in present
            ]
    assert missing == []
