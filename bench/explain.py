"""
The query plans behind every page: runs each page in-process against the
database in DATABASE_URL, EXPLAINs (ANALYZE) every SELECT it ran, and
reports every sequential scan of a large table that read more than a
thousand rows, with the time its query took. Exits 1 if there is one.

    DATABASE_URL=postgres://…/policy_bench_large .venv/bin/python bench/explain.py
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

VERBOSE = "-v" in sys.argv
LARGE_TABLES = ["metrics_observation", "programs_program", "programs_program_regions"]
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
    "/programs/?page=390",
    "/programs/internet-platform-cooperation/",
    "/programs/synthetic-program-000500/",
    "/metrics/",
    "/metrics/synthetic-metric-07/",
    "/metrics/synthetic-metric-07/?page=390",
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


# A sequential scan that stops after a few rows (the first match of a
# LIMIT 1 probe) reads no more than an index would; one that reads more
# than this many rows of a large table is reported.
ROWS_READ_LIMIT = 1_000


def sequential_scans(node) -> list[tuple[str, int]]:
    """Tables a plan reads by sequential scan, with the rows each scan read."""
    found = []
    if node.get("Node Type") == "Seq Scan":
        per_loop = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        found.append((node["Relation Name"], per_loop * node.get("Actual Loops", 1)))
    for child in node.get("Plans", []):
        found += sequential_scans(child)
    return found


def main() -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    admin, _created = get_user_model().objects.get_or_create(
        username="explain-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    problems = 0
    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
            if response.streaming:
                b"".join(response.streaming_content)
        slowest, slowest_sql, scans = 0.0, "", []
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
            plan = plan if isinstance(plan, list) else json.loads(plan)
            took = plan[0]["Execution Time"]
            scans += [
                (table, rows, round(took, 1), sql[:160])
                for table, rows in sequential_scans(plan[0]["Plan"])
                if table in LARGE_TABLES and rows > ROWS_READ_LIMIT
            ]
            if took > slowest:
                slowest, slowest_sql = took, sql
        status = "SEQ SCAN" if scans else "ok"
        problems += bool(scans)
        print(
            f"{status:8} {response.status_code} {len(queries):3} queries, "
            f"slowest {slowest:7.1f} ms  {page}"
        )
        for table, rows, took, sql in scans:
            print(f"           seq scan on {table}, {rows:,} rows read ({took} ms): {sql}")
        if VERBOSE and slowest > 20:
            print(f"           slowest: {slowest_sql[:600]}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
