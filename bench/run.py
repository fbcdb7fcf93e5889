"""
The side-by-side benchmark: one command, both sizes, one run.

For each size (1k programs / 10k observations, then 100k / 1M) on
PostgreSQL it builds a fresh database (demo + synthetic data), serves it
with gunicorn, and drives every public page and admin changelist with wrk
(another process) for a fixed time, next to a floor: a view answering a
constant string through the same stack. It also times the bulk import of
the large size's observations against loaddata of the same rows, the
peak memory of the CSV export at both sizes, and the served pages' p95
while a visitor tries to empty the page cache. Both sizes are built again
with the rows in another order, for the growth targets and the query
plans. Results: bench/RESULTS.md.

    make bench                # about 50 minutes
    .venv/bin/python bench/run.py --seconds 5 --small-only   # a quick look
"""

import argparse
import http.cookiejar
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SIZES = {"small": (1_000, 10_000), "large": (100_000, 1_000_000)}
# The same sizes in two orders, so that no result rests on the planner
# guessing how the rows happen to lie: synthetic data as the generator makes
# it, and another seed with programs, links and figures shuffled (both after
# the demo, as on a live site that grew).
ORDERS = {
    "generated": {"seed": 2020, "shuffled": False},
    "shuffled": {"seed": 7, "shuffled": True},
}
# A rendered (uncached) list or detail page at 100k / 1M must answer within
# 40 ms on the machine issue 13 was measured on, whose floor (a constant
# string through the same stack) was 0.70 ms. Machines differ: runs of this
# benchmark have met floors from 0.70 to 2.35 ms, the admin's changelists
# slower in step with them. So the budget is that multiple of the floor
# measured in the same pass, not milliseconds that mean another thing on
# every machine.
RENDERED_BUDGET_MS, REFERENCE_FLOOR_MS = 40, 0.70
# Pages, by kind; every target is a ratio measured in this one run.
PUBLIC_LISTS = {
    "programs, page 1": "/programs/",
    "programs, sorted by title": "/programs/?sort=-title",
    "programs, searched": "/programs/?q=program+0001",
    "programs, deep page": "/programs/?page=40",
    "metrics": "/metrics/",
    "metric figures, page 1": "/metrics/synthetic-metric-07/",
    "metric figures, deep page": "/metrics/synthetic-metric-07/?page=40",
    "API observations": "/api/observations/?metric=synthetic-metric-07",
    "API programs": "/api/programs/",
}
PUBLIC_DETAILS = {
    "home": "/",
    "program": "/programs/internet-platform-cooperation/",
    "synthetic program": "/programs/synthetic-program-000500/",
    "region (Linfen)": "/regions/141000/",
    "region (Shanxi)": "/regions/140000/",
}
# Growth with the data is measured on these, in both orders.
GROWTH = {
    "programs, page 1": 1.5,
    "metric figures, page 1": 1.5,
    "programs, deep page": 3,
    "metric figures, deep page": 3,
}
# Served from the cache while a visitor tries to empty it (issue 13).
UNDER_ATTACK = {"home": "/", "programs, page 1": "/programs/"}
# What each page is measured under, and the cookie sent (sign-ins send none).
ATTACKS = {"quiet": "", "sign-ins": "", "cookie": "sessionid=made-up"}
ADMIN_LISTS = {
    "admin observations": "/admin/metrics/observation/",
    "admin observations, searched": "/admin/metrics/observation/?q=Linfen",
    "admin programs": "/admin/programs/program/",
    "admin programs, searched": "/admin/programs/program/?q=000123",
}


def run(command, env, **kwargs):
    return subprocess.run(command, cwd=ROOT, env=env, check=True, **kwargs)


def manage(env, *args, **kwargs):
    return run([PYTHON, "manage.py", *args], env, **kwargs)


def psql(sql, database="postgres") -> str:
    """What the statement printed (unaligned, tuples only)."""
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qAt", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def in_turn(names, rounds):
    """
    For each round, the names in the order to measure them, each round
    starting one further along: what is compared is measured side by side,
    first in turn, so the machine's drift falls on all alike.
    """
    names = list(names)
    for round_ in range(rounds):
        start = round_ % len(names)
        yield names[start:] + names[:start]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_of(command, env) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB) of a child process."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    del before
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024


def wrk(url, seconds, cookie=""):
    env = {**os.environ, "BENCH_COOKIE": cookie}
    output = subprocess.run(
        ["wrk", "-t", "1", "-c", "4", "-d", f"{seconds}s", "--timeout", "30s",
         "-s", str(ROOT / "bench" / "latency.lua"), url],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


class Site:
    """A fresh database of one size, served by gunicorn."""

    def __init__(self, name, programs, observations, order="generated"):
        self.name = name if order == "generated" else f"{name}_{order}"
        self.database = f"policy_bench_{self.name}"
        self.programs, self.observations = programs, observations
        self.order = ORDERS[order]
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.database}",
            "DATABASE_CONN_MAX_AGE": "600",
            "DJANGO_SECRET_KEY": "bench-only-" + "b" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_BENCH_ENDPOINTS": "1",
            "DJANGO_STATIC_ROOT": str(ROOT / "var" / "bench-static"),
            "API_ANON_RATE": "100000000/minute",
            "PUBLIC_RENDER_BUDGET": "",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        self.server = None

    def build(self):
        psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{self.database}"')
        manage(self.env, "migrate", "-v", "0")
        manage(self.env, "loaddata", "shanxi_2020", "-v", "0")
        manage(self.env, "loaddata", "shanxi_outlines", "-v", "0")
        started = time.perf_counter()
        output = manage(
            self.env,
            "generate_synthetic",
            "--programs", str(self.programs),
            "--observations", str(self.observations),
            "--seed", str(self.order["seed"]),
            *(["--shuffled"] if self.order["shuffled"] else []),
            capture_output=True, text=True,
        ).stdout  # fmt: skip
        self.generation = (time.perf_counter() - started, output.strip().splitlines())
        # As the scheduled check of a live site does (see docs/DEPLOYMENT.md).
        manage(self.env, "record_quality_check", "-v", "0", capture_output=True)
        # As autovacuum leaves a live database: statistics and the visibility
        # map that index-only scans rely on.
        psql("VACUUM ANALYZE", self.database)
        manage(self.env, "collectstatic", "--no-input", "-v", "0")
        self.cookie = manage(
            self.env, "shell", "--no-imports", "-c", SESSION_SCRIPT, capture_output=True, text=True
        ).stdout.strip()

    def serve(self, root=ROOT, **settings):
        """Serve with gunicorn the code checked out in `root` (this one by default)."""
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", "2", "--log-level", "warning"],
            cwd=root, env={**self.env, **settings},
        )  # fmt: skip
        for _ in range(150):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start")

    def warm(self, paths, cookie=""):
        for path in paths:
            request = urllib.request.Request(self.base + path, headers={"Cookie": cookie})
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()

    def stop(self):
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)
            self.server = None


EXPORT_SCRIPT = """
import csv, sys
from metrics.releases import COLUMNS, export_period
from metrics.models import Observation
writer = csv.writer(open(sys.argv[1], "w", newline=""))
writer.writerow(COLUMNS)
rows = Observation.objects.filter(source__slug="synthetic-data-generator")
for o in rows.select_related("metric", "region", "source").iterator(chunk_size=5000):
    writer.writerow([
        o.region.code, o.metric.slug, export_period(o.period), f"{o.value:f}", "yuan",
        f"{o.yoy_change:f}", o.value_qualifier, o.source.slug, o.source_quote,
    ])
"""

SAMPLE_SCRIPT = """
from django.core import serializers
from metrics.models import Observation
rows = Observation.objects.filter(source__slug="synthetic-data-generator").order_by("pk")
with open({path!r}, "w") as out:
    serializers.serialize("jsonl", rows[:{rows}], stream=out, use_natural_foreign_keys=True)
"""

SESSION_SCRIPT = """
from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
user, _ = get_user_model().objects.get_or_create(username="bench-admin")
user.is_staff = user.is_superuser = True
user.set_unusable_password()
user.save()
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(f"sessionid={session.session_key}")
"""


class FailedSignIns(threading.Thread):
    """A visitor sending a failed sign-in every two seconds, each under a new user name."""

    def __init__(self, base):
        super().__init__(daemon=True)
        self.base, self.sent = base, 0
        self.stopped = threading.Event()

    def run(self):
        login = self.base + "/admin/login/"
        while not self.stopped.is_set():
            browser = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )
            form = browser.open(login, timeout=30).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
            fields = {"csrfmiddlewaretoken": token, "password": "wrong", "next": "/admin/"}
            fields["username"] = f"intruder-{self.sent}"
            post = urllib.request.Request(
                login, urllib.parse.urlencode(fields).encode(), headers={"Referer": login}
            )
            try:
                browser.open(post, timeout=30).read()
            except urllib.error.HTTPError as refused:  # a lockout answers 429
                refused.read()
            self.sent += 1
            self.stopped.wait(2)


def under_attack(site, seconds, rounds=3):
    """
    p95 of pages served from the cache, quiet, while a visitor sends failed
    sign-ins, and with a made-up session cookie on every request: the three
    measured in turn, starting with a different one each round, and the
    median of each kept, so that the machine's drift between measures is not
    read as the attack's effect.
    """
    site.serve(PUBLIC_PAGE_CACHE_SECONDS="300")
    results = {page: {how: [] for how in ATTACKS} | {"sent": 0} for page in UNDER_ATTACK}
    try:
        site.warm(UNDER_ATTACK.values())
        for order in in_turn(ATTACKS, rounds):
            for page, path in UNDER_ATTACK.items():
                for how in order:
                    if how == "sign-ins":
                        measured, sent = while_signing_in(site, path, seconds)
                        results[page]["sent"] += sent
                    else:
                        measured = wrk(site.base + path, seconds, ATTACKS[how])
                    results[page][how].append(measured["p95"])
    finally:
        site.stop()
    return {
        page: {how: {"p95": statistics.median(by[how]), "rounds": by[how]} for how in ATTACKS}
        | {"sent": by["sent"]}
        for page, by in results.items()
    }


def while_signing_in(site, path, seconds):
    """wrk on a page while another client sends failed sign-ins; and how many it sent."""
    attacker = FailedSignIns(site.base)
    attacker.start()
    try:
        return wrk(site.base + path, seconds), attacker.sent
    finally:
        attacker.stopped.set()
        attacker.join()


def measure(site, seconds, *, page_cache):
    """
    Every page with the floor, as served (public pages and API from the page cache)
    or, with the cache off, rendered on every request; the admin is never cached.
    """
    site.serve(PUBLIC_PAGE_CACHE_SECONDS="300" if page_cache else "0")
    try:
        floors = [wrk(site.base + "/bench/floor", seconds)]
        results = {}
        groups = [(PUBLIC_LISTS, ""), (PUBLIC_DETAILS, "")]
        if page_cache:
            groups.append((ADMIN_LISTS, site.cookie))
        for pages, cookie in groups:
            site.warm(pages.values(), cookie)
            for name, path in pages.items():
                results[name] = wrk(site.base + path, seconds, cookie)
            if not page_cache:
                # The rendered pages are held to a multiple of the floor:
                # measured after each group too, and the median kept, so
                # that one disturbed measure does not move every page's budget.
                floors.append(wrk(site.base + "/bench/floor", seconds))
    finally:
        site.stop()
    floors.sort(key=lambda result: result["p50"])
    return {"floor": floors[len(floors) // 2], **results}


def measure_growth(small, large, seconds, rounds=3):
    """
    The growth pages rendered on every request at both sizes, served at once
    and measured in turn, alternating which size goes first, for a few
    rounds; the median of each. These machines' speed drifts by a fifth or
    more within minutes, so sizes measured in passes minutes apart would
    compare the drift as much as the data.
    """
    pages = {name: PUBLIC_LISTS[name] for name in GROWTH}
    sites = {"small": small, "large": large}
    runs = {size: {page: [] for page in pages} for size in sites}
    try:
        for site in sites.values():
            site.serve(PUBLIC_PAGE_CACHE_SECONDS="0")
            site.warm(pages.values())
        for order in in_turn(sites, rounds):
            for page, path in pages.items():
                for size in order:
                    runs[size][page].append(wrk(sites[size].base + path, seconds)["p50"])
    finally:
        for site in sites.values():
            site.stop()
    return {
        size: {page: {"p50": statistics.median(p50s), "rounds": p50s} for page, p50s in by.items()}
        for size, by in runs.items()
    }


def import_against_loaddata(site, workdir):
    """The large size's observations: bulk import from CSV vs loaddata of the same rows."""
    csv_path = workdir / "observations.csv"
    fixture = workdir / "observations-sample.jsonl"
    export = EXPORT_SCRIPT
    manage(
        site.env,
        "shell",
        "--no-imports",
        "-c",
        f"import sys; sys.argv=['', {str(csv_path)!r}]\n" + export,
    )
    # loaddata of the same rows is timed on a sample: at its pace the whole
    # file would take hours; the rate is what is compared. The sample is
    # what dumpdata writes for those rows (JSON lines, natural keys).
    sample_rows = 20_000
    manage(
        site.env,
        "shell",
        "--no-imports",
        "-c",
        SAMPLE_SCRIPT.format(path=str(fixture), rows=sample_rows),
    )
    target = Site(f"{site.name}_import", 0, 0)
    psql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{target.database}"')
    manage(target.env, "migrate", "-v", "0")
    manage(target.env, "loaddata", "shanxi_2020", "-v", "0")
    manage(target.env, "generate_synthetic", "--programs", "0", "--observations", "0", "-v", "0")
    manage(target.env, "create_demo_staff")  # an import is made by a staff account
    seconds, peak = peak_rss_of(
        [PYTHON, "manage.py", "import_observations", str(csv_path), "--user", "demo-admin"],
        target.env,
    )
    rows = sum(1 for _line in open(csv_path)) - 1
    psql("DELETE FROM metrics_observation WHERE source_quote LIKE 'Synthetic%'", target.database)
    loaddata_seconds, loaddata_peak = peak_rss_of(
        [PYTHON, "manage.py", "loaddata", str(fixture), "-v", "0"], target.env
    )
    small_csv = workdir / "observations-10k.csv"
    with open(csv_path) as source, open(small_csv, "w") as out:
        for _ in range(10_001):
            out.write(source.readline())
    psql("DELETE FROM metrics_observation WHERE source_quote LIKE 'Synthetic%'", target.database)
    small_seconds, small_peak = peak_rss_of(
        [PYTHON, "manage.py", "import_observations", str(small_csv), "--user", "demo-admin"],
        target.env,
    )
    psql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    return {
        "rows": rows,
        "import_seconds": seconds,
        "import_peak_mib": peak,
        "import_small_seconds": small_seconds,
        "import_small_peak_mib": small_peak,
        "loaddata_rows": sample_rows,
        "loaddata_seconds": loaddata_seconds,
        "loaddata_peak_mib": loaddata_peak,
    }


def export_memory(site):
    """Peak memory while every published observation streams out as CSV (the bulk download)."""
    script = (
        "from django.test import Client\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "response = Client().get('/downloads/published-data.zip')\n"
        "print(sum(len(chunk) for chunk in response.streaming_content))\n"
    )
    seconds, peak = peak_rss_of(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", script], site.env
    )
    return {"seconds": seconds, "peak_mib": peak}


def ratio(a, b):
    return a / b if b else float("inf")


def report(sites, shuffled, growth, attack, imports, exports, seconds):
    small, large = sites["small"], sites["large"]
    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout
    lines = [
        "# Benchmark results",
        "",
        f"Run on {datetime.now(UTC).date().isoformat()} by `make bench` ({seconds} s of wrk per "
        "page, 1 thread, 4 connections; gunicorn with 2 sync workers; PostgreSQL "
        f"{re.search(r'\d+(\.\d+)+', postgres)[0]}).",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}. "
        "Load generator and server share the machine.",
        "",
    ]
    lines += [
        "Public HTML pages and the API are measured twice: as served (from the page "
        "cache, metrics/page_cache.py, which every request for the same page meets "
        "while the data is unchanged; the API's rate limit still counts each request) "
        "and rendered on every request (page cache off; the parts every address of a "
        "page shares, such as filter choices and a list's count, are kept per content "
        "version as on a live site). The admin is never cached. Floor: "
        "a constant string through the same middleware, measured in each pass "
        "(in the rendered pass before the lists, after them and after the detail "
        "pages; the median is shown).",
        "",
        f"Rendered pages at 100k / 1M are held to {RENDERED_BUDGET_MS} ms on the machine "
        f"issue 13 was measured on, whose floor was {REFERENCE_FLOOR_MS:.2f} ms: "
        f"{RENDERED_BUDGET_MS / REFERENCE_FLOOR_MS:.0f}x the floor of the same pass "
        "(bench/README.md says why).",
        "",
    ]
    checks = []
    for name, site in sites.items():
        programs, observations = SIZES[name]
        served, rendered = site["served"], site["rendered"]
        lines += [
            f"## {programs:,} programs / {observations:,} observations",
            "",
            f"Generated in {site['generation'][0]:.1f} s: " + "; ".join(site["generation"][1][-3:]),
            "",
            "| page | served p50 ms | p95 ms | requests/s | p50 / floor "
            "| rendered p50 ms | p95 ms | requests/s | p50 / floor |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for page, result in served.items():
            row = [
                f"{result['p50']:.2f}",
                f"{result['p95']:.2f}",
                f"{result['rps']:.0f}",
                f"{ratio(result['p50'], served['floor']['p50']):.1f}",
            ]
            if page in rendered:
                again = rendered[page]
                row += [
                    f"{again['p50']:.2f}",
                    f"{again['p95']:.2f}",
                    f"{again['rps']:.0f}",
                    f"{ratio(again['p50'], rendered['floor']['p50']):.1f}",
                ]
            else:
                row += ["–"] * 4
            lines.append(f"| {page} | " + " | ".join(row) + " |")
            for how, results in (("served", served), ("rendered", rendered)):
                if page in results and results[page]["errors"]:
                    errors = results[page]["errors"]
                    checks.append((f"{name}, {how}: {page} without errors", False, f"{errors}"))
        lines.append("")
    floor = large["served"]["floor"]["p50"]
    for pages, limit, kind in ((PUBLIC_LISTS, 5, "list"), (PUBLIC_DETAILS, 3, "detail")):
        for page in pages:
            value = ratio(large["served"][page]["p50"], floor)
            checks.append(
                (f"{kind} page p50 <= {limit}x floor (served): {page}", value <= limit,
                 f"{value:.1f}x")
            )  # fmt: skip
    # A cache miss is a render: its budget is issue 13's 40 ms on a machine
    # whose floor was 0.70 ms, as a multiple of this pass's floor.
    floor, budget = large["rendered"]["floor"]["p50"], RENDERED_BUDGET_MS / REFERENCE_FLOOR_MS
    for page in (*PUBLIC_LISTS, *PUBLIC_DETAILS):
        value = ratio(large["rendered"][page]["p50"], floor)
        checks.append((
            f"rendered p50 <= {budget:.0f}x floor at 100k / 1M: {page}",
            value <= budget,
            f"{large['rendered'][page]['p50']:.1f} ms, {value:.1f}x "
            f"({value * REFERENCE_FLOOR_MS:.1f} ms at a {REFERENCE_FLOOR_MS:.2f} ms floor)",
        ))  # fmt: skip
    # Growth with the data is measured on rendered pages (from the cache
    # every size is served alike), in both orders of the data.
    lines += [
        "## Growth in both orders of the data",
        "",
        "Rendered p50 (ms) of the same pages over data generated in order (seed "
        f"{ORDERS['generated']['seed']}) and over another seed "
        f"({ORDERS['shuffled']['seed']}) with programs, links and figures shuffled. "
        "Both sizes of an order are served at once and measured in turn, alternating "
        "which goes first; the median of the rounds (listed) is compared.",
        "",
        "| page | order | 1k p50 ms | 100k p50 ms | 100k / 1k | 1k rounds | 100k rounds |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for order, runs in growth.items():
        for page, limit in GROWTH.items():
            before, after = runs["small"][page], runs["large"][page]
            value = ratio(after["p50"], before["p50"])
            rounds = [", ".join(f"{p50:.1f}" for p50 in run["rounds"]) for run in (before, after)]
            lines.append(
                f"| {page} | {order} | {before['p50']:.1f} | {after['p50']:.1f} | {value:.2f}x "
                f"| {rounds[0]} | {rounds[1]} |"
            )
            checks.append(
                (f"100k vs 1k <= {limit}x (rendered, {order} order): {page}", value <= limit,
                 f"{value:.2f}x")
            )  # fmt: skip
    lines.append("")
    if attack:
        lines += [
            "## Served while a visitor tries to empty the cache",
            "",
            "p95 (ms) of pages served from the cache at 100k / 1M: quiet; while another "
            "client sends a failed sign-in every 2 s, each under a new user name; and with "
            "`Cookie: sessionid=made-up` on every request. The three are measured in turn, "
            "starting with a different one each round; the median of the rounds (listed: "
            "quiet / sign-ins / cookie) is compared.",
            "",
            "| page | quiet p95 | failed sign-ins p95 | made-up cookie p95 | sign-ins sent "
            "| rounds |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for page, result in attack.items():
            quiet = result["quiet"]["p95"]
            rounds = "; ".join(
                " / ".join(f"{result[how]['rounds'][i]:.2f}" for how in ATTACKS)
                for i in range(len(result["quiet"]["rounds"]))
            )
            lines.append(
                f"| {page} | {quiet:.2f} | {result['sign-ins']['p95']:.2f} | "
                f"{result['cookie']['p95']:.2f} | {result['sent']} | {rounds} |"
            )
            for how in ("sign-ins", "cookie"):
                value = ratio(result[how]["p95"], quiet)
                what = "failed sign-ins" if how == "sign-ins" else "a made-up session cookie"
                checks.append(
                    (f"p95 under {what} <= 1.5x quiet: {page}", value <= 1.5, f"{value:.2f}x")
                )
        lines.append("")
    for page in ADMIN_LISTS:
        value = ratio(large["served"][page]["p50"], small["served"][page]["p50"])
        checks.append((f"admin changelist at 1M vs 10k <= 2x: {page}", value <= 2, f"{value:.2f}x"))
    if imports:
        import_rate = imports["rows"] / imports["import_seconds"]
        loaddata_rate = imports["loaddata_rows"] / imports["loaddata_seconds"]
        value = ratio(import_rate, loaddata_rate)
        checks.append((
            f"bulk import of {imports['rows']:,} rows >= 10x loaddata's rate", value >= 10,
            f"{value:.0f}x ({import_rate:,.0f} vs {loaddata_rate:,.0f} rows/s)",
        ))  # fmt: skip
        value = ratio(imports["import_peak_mib"], imports["import_small_peak_mib"])
        checks.append((
            "bulk import peak memory flat (1M vs 10k rows) <= 1.5x", value <= 1.5,
            f"{imports['import_peak_mib']:.0f} vs {imports['import_small_peak_mib']:.0f} MiB",
        ))  # fmt: skip
        i = imports
        lines += [
            "## Import",
            "",
            f"- `import_observations` of {i['rows']:,} rows: {i['import_seconds']:.1f} s, "
            f"peak {i['import_peak_mib']:.0f} MiB (10,000 rows: "
            f"{i['import_small_seconds']:.1f} s, peak {i['import_small_peak_mib']:.0f} MiB).",
            f"- `loaddata` of {i['loaddata_rows']:,} of the same rows (JSON lines, natural "
            f"keys): {i['loaddata_seconds']:.1f} s, peak {i['loaddata_peak_mib']:.0f} MiB. "
            f"At that rate the whole file would take {i['rows'] / loaddata_rate / 60:.0f} minutes.",
            "",
        ]
    if exports:
        value = ratio(exports["large"]["peak_mib"], exports["small"]["peak_mib"])
        checks.append((
            "CSV export streams: peak memory at 1M within 1.5x of 10k", value <= 1.5,
            f"{exports['large']['peak_mib']:.0f} vs {exports['small']['peak_mib']:.0f} MiB",
        ))  # fmt: skip
        lines += [
            "## Export",
            "",
            "The bulk download (every published record, observations.csv included) streamed "
            f"through Django: 10k observations {exports['small']['seconds']:.1f} s, peak "
            f"{exports['small']['peak_mib']:.0f} MiB; 1M observations "
            f"{exports['large']['seconds']:.1f} s, peak {exports['large']['peak_mib']:.0f} MiB.",
            "",
        ]
    for order, runs in (("generated", sites), ("shuffled", shuffled)):
        if "plans" not in runs.get("large", {}):
            continue
        returncode, output = runs["large"]["plans"]
        checks.append((
            f"no page statement reading over 10,000 rows ({order} order, bench/explain.py)",
            returncode == 0, f"{output.count('HEAVY')} such statements",
        ))  # fmt: skip
        lines += [
            f"## Query plans at 100k / 1M, {order} order",
            "",
            "`bench/explain.py`: every page's SELECTs under EXPLAIN ANALYZE (in-process, as "
            "staff, so the page cache is bypassed); a statement reading over 10,000 rows "
            "is listed as HEAVY.",
            "",
            "```",
            output.rstrip(),
            "```",
            "",
        ]
    lines += ["## Targets", "", "| target | met | measured |", "| --- | --- | --- |"]
    lines += [f"| {what} | {'yes' if ok else '**no**'} | {value} |" for what, ok, value in checks]
    lines.append("")
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines))
    return all(ok for _what, ok, _value in checks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per page")
    parser.add_argument("--small-only", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = {"small": SIZES["small"]} if options.small_only else SIZES
    orders = ["generated"] if options.small_only else list(ORDERS)
    sites, shuffled, exports, imports, attack = {}, {}, {}, None, None
    growth = {}
    for order in orders:
        built = {}
        for name, (programs, observations) in sizes.items():
            site = Site(name, programs, observations, order)
            print(f"== building {site.name}: {programs} programs, {observations} observations")
            site.build()
            built[name] = site
            print(f"== measuring {site.name}", flush=True)
            if order == "generated":
                served = measure(site, options.seconds, page_cache=True)
                rendered = measure(site, options.seconds, page_cache=False)
                exports[name] = export_memory(site)
                result = {"served": served, "rendered": rendered, "generation": site.generation}
                sites[name] = result
            else:
                result = shuffled[name] = {}
            if name == "large":
                print("== query plans", flush=True)
                plans = subprocess.run(
                    [PYTHON, "bench/explain.py"], cwd=ROOT, env=site.env,
                    capture_output=True, text=True,
                )  # fmt: skip
                result["plans"] = (plans.returncode, plans.stdout)
            if name == "large" and order == "generated":
                print("== under attack", flush=True)
                attack = under_attack(site, options.seconds)
                if not options.skip_import:
                    print("== import against loaddata", flush=True)
                    imports = import_against_loaddata(site, workdir)
        if len(built) == 2:
            print(f"== growth, {order} order", flush=True)
            growth[order] = measure_growth(built["small"], built["large"], options.seconds)
        if order != "generated":  # only the first order is kept to explore
            for site in built.values():
                psql(f'DROP DATABASE IF EXISTS "{site.database}" WITH (FORCE)')
    if len(sites) < 2:
        print(json.dumps(sites, indent=1))
        return 0
    ok = report(sites, shuffled, growth, attack, imports, exports, options.seconds)
    print((ROOT / "bench" / "RESULTS.md").read_text())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
