"""
Load with database faults, on loopback only, bounded in time.

Serves the demo with gunicorn on a throwaway PostgreSQL database, drives
the public pages with 32 concurrent clients, and meanwhile

1. runs steady for 30 s (expect no error at all),
2. kills the app's database connections (pg_terminate_backend) twice,
3. restarts PostgreSQL,

while a writer imports batches of figures through the release import path.
It prints the answers per phase and checks: failing requests get the 503
page (never a 500 or a dropped connection), the app recovers by itself
(every request in each phase's last seconds succeeds), and no import
batch is left half-written. Exit status 0 only if all of that holds.

Run it with `make faults` (it restarts the local PostgreSQL server, so
nothing else should be using it then).
"""

import argparse
import collections
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/",
    "/programs/",
    "/programs/?kind=platform_partnership&sort=-title",
    "/programs/internet-platform-cooperation/",
    "/metrics/",
    "/metrics/online-retail-sales/",
    "/metrics/rural-share-of-online-retail-sales/?region=140000",
    "/regions/141000/",
    "/zh-hans/programs/",
    "/api/observations/?metric=online-retail-sales",
]
CLIENTS = 32
BATCH_ROWS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres(sql: str, dbname: str = "postgres") -> None:
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=dbname, autocommit=True) as db:
        db.execute(sql)


def wait_for_postgres(limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            postgres("SELECT 1")
            return
        except psycopg.OperationalError:
            time.sleep(0.5)
    raise SystemExit("PostgreSQL did not come back")


class Load:
    """CLIENTS threads asking for public pages until stopped, recording (time, status)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.results: list[tuple[float, object]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def client(self, offset: int) -> None:
        number = offset
        while not self.stop.is_set():
            url = self.base_url + PAGES[number % len(PAGES)]
            number += 1
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
                if status == 503 and "Temporarily unavailable" not in error.read().decode():
                    status = "503 without the page"
            except OSError as error:  # refused, reset: the server itself failed
                status = f"connection error: {type(error).__name__}"
            with self.lock:
                self.results.append((time.monotonic(), status))

    def run(self, seconds: float, during=None) -> list[tuple[float, object]]:
        self.results, self.stop = [], threading.Event()
        threads = [threading.Thread(target=self.client, args=(i,)) for i in range(CLIENTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        if during is not None:
            during()
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        self.stop.set()
        for thread in threads:
            thread.join()
        return self.results


class Writer(threading.Thread):
    """Imports batches of figures through the staff import path until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.batches = 0
        self.failed = 0

    def run(self) -> None:
        import csv
        import io

        from django.contrib.auth import get_user_model
        from django.core.files.base import ContentFile
        from django.db import close_old_connections

        from metrics import imports
        from metrics.models import ImportJob

        user, _created = get_user_model().objects.get_or_create(
            username="faults-importer", defaults={"is_staff": True, "is_superuser": True}
        )
        while not self.stop.is_set():
            number = self.batches + self.failed
            out = io.StringIO()
            rows = csv.writer(out)
            rows.writerow(["region", "metric", "period", "value", "unit", "source", "quote"])
            year = 1800 + number  # a period of its own for every batch
            for row in range(BATCH_ROWS):
                month = "Feb" if row < 14 else "Mar"
                rows.writerow(
                    [f"1410{21 + row % 14:02d}", "online-retail-sales", f"Jan-{month} {year}",
                     f"{number}.{row}", "亿元", "", f"fault-batch-{number}"]
                )  # fmt: skip
            try:
                release = ContentFile(out.getvalue().encode(), name=f"batch-{number}.csv")
                job = imports.store_release(release, name=release.name, user=user)
                job = imports.import_here(job)
                if job.state == ImportJob.State.IMPORTED:
                    self.batches += 1
                else:
                    self.failed += 1
            except Exception:  # the database went away mid-batch: the point of the test
                self.failed += 1
                close_old_connections()
                time.sleep(0.2)


def summarise(name: str, results, *, tail: float = 5.0) -> tuple[bool, str]:
    counts = collections.Counter(status for _when, status in results)
    end = max(when for when, _status in results)
    last = collections.Counter(status for when, status in results if when >= end - tail)
    errors = {status: count for status, count in counts.items() if status not in (200, 503)}
    recovered = set(last) == {200}
    ok = not errors and recovered
    line = (
        f"{name:<28} requests {sum(counts.values()):>6}  "
        + "  ".join(f"{status}: {count}" for status, count in sorted(counts.items(), key=str))
        + f"  | last {tail:.0f} s: "
        + ", ".join(f"{status}: {count}" for status, count in last.items())
        + ("" if ok else "  <-- FAIL")
    )
    return ok, line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steady-seconds", type=float, default=30)
    parser.add_argument("--fault-seconds", type=float, default=25)
    options = parser.parse_args()

    database = f"policy_faults_{os.getpid()}"
    url = f"postgres://postgres@127.0.0.1:5432/{database}"
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_SECRET_KEY": "faults-only-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(ROOT / "var" / "faults-static"),
        "API_ANON_RATE": "1000000/minute",
    }
    os.environ.update(environment)
    python = sys.executable
    wait_for_postgres()
    postgres(f'CREATE DATABASE "{database}"')
    server = None
    try:
        for command in (
            ["migrate", "--no-input"],
            ["loaddata", "shanxi_2020"],
            ["collectstatic", "--no-input"],
        ):
            subprocess.run(
                [python, "manage.py", *command, "-v", "0"], cwd=ROOT, env=environment, check=True
            )
        port = free_port()
        server = subprocess.Popen(
            [str(Path(python).parent / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", "4", "--timeout", "60", "--log-level", "warning"],
            cwd=ROOT, env=environment,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)

        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        django.setup()

        load = Load(base)
        writer = Writer()
        writer.start()
        outcomes = []

        steady = load.run(options.steady_seconds)
        outcomes.append(summarise("steady load", steady, tail=options.steady_seconds))

        def kill_connections():
            for _ in range(2):
                time.sleep(options.fault_seconds / 5)
                postgres(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
                )

        killed = load.run(options.fault_seconds, kill_connections)
        outcomes.append(summarise("connections killed", killed))

        def restart():
            time.sleep(options.fault_seconds / 5)
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                check=True,
            )

        outcomes.append(summarise("PostgreSQL restarted", load.run(options.fault_seconds, restart)))
        writer.stop.set()
        writer.join(timeout=30)

        wait_for_postgres()
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database) as db:
            rows = db.execute(
                "SELECT source_quote, count(*) FROM metrics_observation "
                "WHERE source_quote LIKE 'fault-batch-%' GROUP BY source_quote"
            ).fetchall()
        partial = [(batch, count) for batch, count in rows if count != BATCH_ROWS]
        writes_ok = not partial and writer.batches > 0
        print()
        for _ok, line in outcomes:
            print(line)
        print(
            f"{'interrupted writes':<28} batches written {writer.batches}, failed {writer.failed}, "
            f"partial {len(partial)}" + ("" if writes_ok else "  <-- FAIL")
        )
        success = all(ok for ok, _line in outcomes) and writes_ok
        print("\nAll checks passed." if success else "\nSome checks FAILED.")
        return 0 if success else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        wait_for_postgres()
        postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
