"""
The query plans behind every page: runs each page in-process against the
database in DATABASE_URL, EXPLAINs (ANALYZE) every SELECT it ran, and
reports every statement that read more than 10,000 rows (index or table
entries, removed by a filter or not, over all loops), with the time it
took. Such a statement's speed rests on the data's size or order, not on
the page. Exits 1 if there is one. The test suite runs the same check on
PostgreSQL over generated data in two orders (tests/hardening/test_plans.py).

    DATABASE_URL=postgres://…/policy_bench_large .venv/bin/python bench/explain.py
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

VERBOSE = "-v" in sys.argv
PAGES = [
    "/",
    "/programs/",
    "/programs/?sort=-title",
    "/programs/?sort=kind",
    "/programs/?sort=status",
    "/programs/?sort=lead_organisation",
    "/programs/?sort=regions",
    "/programs/?sort=start_date",
    "/programs/?sort=-end_date",
    "/programs/?sort=budget_yuan",
    "/programs/?sort=outcome_count",
    "/programs/?q=program+0001",
    "/programs/?region=141000",
    "/programs/?partner=alibaba",
    "/programs/?sector=agricultural-products&year=2020",
    "/programs/?page=40",
    "/programs/internet-platform-cooperation/",
    "/programs/synthetic-program-000500/",
    "/metrics/",
    "/metrics/synthetic-metric-07/",
    "/metrics/synthetic-metric-07/?page=40",
    "/metrics/synthetic-metric-07/?region=141000",
    "/metrics/synthetic-metric-07/?sort=value",
    "/metrics/synthetic-metric-07/?sort=-yoy_change",
    "/metrics/synthetic-metric-07/?sort=region",
    "/metrics/synthetic-metric-07/?year=2020&period_type=ytd",
    "/regions/141000/",
    "/regions/140000/",
    "/api/observations/?metric=synthetic-metric-07",
    "/api/observations/?region=141000",
    "/api/programs/",
    "/admin/metrics/observation/",
    "/admin/metrics/observation/?q=Linfen",
    "/admin/metrics/observation/?publication_state__exact=draft",
    "/admin/metrics/observation/?o=4",
    "/admin/programs/program/",
    "/admin/programs/program/?q=000123",
    "/admin/programs/partnership/",
    "/admin/programs/outcome/",
    "/admin/programs/activity/",
]


# A page statement may read this many rows (a capped count reads its cap).
ROWS_READ_LIMIT = 10_000
SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan"}


def rows_read(node) -> int:
    """Rows a plan's scans read, kept or removed by a filter, over all their loops."""
    read = 0
    if node.get("Node Type") in SCANS and node.get("Node Type") != "Bitmap Index Scan":
        per_loop = (
            node.get("Actual Rows", 0)
            + node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
        )
        read += per_loop * node.get("Actual Loops", 1)
    for child in node.get("Plans", []):
        read += rows_read(child)
    return read


def heavy_statements(client, pages, limit=ROWS_READ_LIMIT, verbose=False):
    """(page, rows read, milliseconds, sql) of every page statement reading over `limit` rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    heavy = []
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
            if response.streaming:
                b"".join(response.streaming_content)
        slowest = 0.0
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
            plan = plan if isinstance(plan, list) else json.loads(plan)
            took = plan[0]["Execution Time"]
            slowest = max(slowest, took)
            if (read := rows_read(plan[0]["Plan"])) > limit:
                heavy.append((page, read, round(took, 1), sql))
        if verbose:
            answer, count = response.status_code, len(queries)
            print(f"{answer} {count:3} queries, slowest {slowest:7.1f} ms  {page}")
    return heavy


def main() -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    admin, _created = get_user_model().objects.get_or_create(
        username="explain-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    heavy = heavy_statements(client, PAGES, verbose=True)
    for page, read, took, sql in heavy:
        print(f"HEAVY {page}: {read:,} rows read ({took} ms): {sql[: 600 if VERBOSE else 200]}")
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
