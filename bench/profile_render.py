"""
Where a rendered public page spends its time: renders the list pages that
bench/run.py measures "rendered" (page cache off) in-process, through the
same WSGI handler and middleware gunicorn runs, and reports for each page
the median milliseconds of a render (wall clock, and the CPU time of this
process, which others' work on a shared machine disturbs less), the SQL
share (wall time inside the database driver) and, under cProfile, the share of the parts of a render
(the filter form, the table, the rest of the templates, DRF's serializers
and JSON renderer).

Run it against a large database (bench/run.py's 100k / 1M, built as it
builds one), with DEBUG off as the benchmark runs, so with collected static
files (DJANGO_STATIC_ROOT, by default var/bench-static as bench/run.py
leaves it; else `manage.py collectstatic` into a directory of your own):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/policy_bench_large \\
        .venv/bin/python bench/profile_render.py                # medians and SQL
    ... bench/profile_render.py --profile                       # + shares, top functions
    ... bench/profile_render.py --renders 100 --page "programs, page 1"
    ... bench/profile_render.py --html /tmp/before              # save each page's body

Each page is rendered a few times first, so that what a page remembers per
content version (metrics.page_cache.remembered: filter choices, counts,
charts) is kept, as on a server that has answered it once; the medians are
then of the renders that follow, which pay for the page's own rows. The
machine is shared: compare two versions of the code by interleaving runs
(`--json` prints the medians as JSON for a script to compare), never with
numbers measured minutes apart.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# As bench/run.py serves a site for its "rendered" measures.
for name, value in {
    "PUBLIC_PAGE_CACHE_SECONDS": "0",
    "PUBLIC_RENDER_BUDGET": "",
    "API_ANON_RATE": "100000000/minute",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
    "DJANGO_SECRET_KEY": "bench-only-" + "b" * 50,
    "DATABASE_CONN_MAX_AGE": "600",
    "DJANGO_LOG_LEVEL": "WARNING",
    # Collected static files, as bench/run.py leaves them (DEBUG off needs the manifest).
    "DJANGO_STATIC_ROOT": str(Path(__file__).resolve().parent.parent / "var" / "bench-static"),
}.items():
    os.environ.setdefault(name, value)
os.environ["DJANGO_DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

# The pages bench/run.py measures "rendered": the lists and the detail pages.
from bench.run import PUBLIC_DETAILS, PUBLIC_LISTS  # noqa: E402

PAGES = {**PUBLIC_LISTS, **PUBLIC_DETAILS}


def parts():
    """
    The parts of a render whose cumulative time cProfile reports, each as
    the functions that draw it; a part inside another counts in both.
    """
    from django.core.handlers.base import BaseHandler
    from django.db.models.query import QuerySet
    from django.forms.boundfield import BoundField
    from django.template.backends.django import Template
    from django_filters.filterset import BaseFilterSet
    from django_tables2.templatetags.django_tables2 import RenderTableNode
    from rest_framework.renderers import JSONRenderer
    from rest_framework.serializers import ListSerializer

    from metrics.tables import PublicTable

    return {
        "view and templates": [BaseHandler._get_response],
        "templates": [Template.render],
        "filter form fields": [BoundField.as_widget],
        "table (render_table)": [RenderTableNode.render],
        "table rows (cells)": [PublicTable.rendered_rows],
        "filterset.qs": [BaseFilterSet.qs.fget],
        "ORM fetch (queries, models)": [QuerySet._fetch_all],
        "DRF serializer (many)": [ListSerializer.to_representation],
        "DRF JSON renderer": [JSONRenderer.render],
    }


class SqlTimer:
    """Wall time spent in the database driver (connection.execute_wrapper)."""

    def __init__(self):
        self.seconds, self.queries = 0.0, 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def render(handler, environ):
    """One request through the WSGI handler; the status and the whole body."""
    status = []
    body = handler(dict(environ), lambda s, headers, exc_info=None: status.append(s))
    try:
        content = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return status[0], content


def environ_for(path):
    address, _, query = path.partition("?")
    return RequestFactory()._base_environ(
        PATH_INFO=address, QUERY_STRING=query, REMOTE_ADDR="127.0.0.1"
    )


def cumulative(stats, functions):
    wanted = {(f.__code__.co_filename, f.__code__.co_firstlineno) for f in functions}
    return sum(
        ct
        for (filename, line, _name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()
        if (filename, line) in wanted
    )


def measure(handler, name, path, options):
    environ = environ_for(path)
    for _ in range(options.warm):
        status, content = render(handler, environ)
    if not status.startswith("200"):
        raise SystemExit(f"{name}: {path} answered {status}")
    if options.html:
        target = Path(options.html)
        target.mkdir(parents=True, exist_ok=True)
        safe = name.replace(" ", "-").replace(",", "")
        (target / f"{safe}.html").write_bytes(content)
    timer = SqlTimer()
    times, cpu = [], []
    with connection.execute_wrapper(timer):
        for _ in range(options.renders):
            started, started_cpu = time.perf_counter(), time.thread_time()
            render(handler, environ)
            times.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
    result = {
        "ms": statistics.median(times) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        # The fastest tenth: the least disturbed by other work on the machine.
        "cpu_p10_ms": statistics.quantiles(cpu, n=10)[0] * 1000,
        "min_ms": min(times) * 1000,
        "sql_ms": timer.seconds / options.renders * 1000,
        "queries": timer.queries / options.renders,
        "bytes": len(content),
    }
    if options.profile:
        profiler = cProfile.Profile()
        rounds = max(options.renders // 2, 5)
        profiler.enable()
        for _ in range(rounds):
            render(handler, environ)
        profiler.disable()
        if options.dump:
            safe = name.replace(" ", "-").replace(",", "")
            profiler.dump_stats(f"{options.dump}-{safe}.prof")
        stats = pstats.Stats(profiler)
        total = stats.total_tt
        result["parts"] = {
            part: cumulative(stats, functions) / total for part, functions in parts().items()
        }
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(options.sort).print_stats(options.top)
        result["top"] = out.getvalue()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=50, help="timed renders per page")
    parser.add_argument("--warm", type=int, default=5, help="renders before timing")
    parser.add_argument("--page", action="append", help="a page's name (repeatable)")
    parser.add_argument("--profile", action="store_true", help="cProfile shares and top functions")
    parser.add_argument("--sort", default="tottime", help="pstats order of --profile's list")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    parser.add_argument("--dump", help="with --profile, save profiles as DUMP-<page>.prof")
    parser.add_argument("--html", help="save each page's body in this directory")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    options = parser.parse_args()
    names = options.page or list(PAGES)
    handler = WSGIHandler()
    results = {name: measure(handler, name, PAGES[name], options) for name in names}
    if options.json:
        shown = {n: {k: v for k, v in r.items() if k != "top"} for n, r in results.items()}
        print(json.dumps(shown))
        return
    print(
        f"{'page':30} {'p50 ms':>7} {'min ms':>7} {'CPU ms':>7} {'SQL ms':>7}"
        f" {'queries':>7} {'bytes':>8}"
    )
    for name, r in results.items():
        print(
            f"{name:30} {r['ms']:7.2f} {r['min_ms']:7.2f} {r['cpu_ms']:7.2f} {r['sql_ms']:7.2f}"
            f" {r['queries']:7.1f} {r['bytes']:8d}"
        )
    if options.profile:
        for name, r in results.items():
            print(f"\n== {name}: share of the profiled time")
            for part, share in r["parts"].items():
                print(f"  {part:30} {share:6.1%}")
            print(r["top"])


if __name__ == "__main__":
    main()
