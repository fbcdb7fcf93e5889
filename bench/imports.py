"""
Release imports through the admin, end to end, against the command line.

On a fresh PostgreSQL database (the demo plus the generator's reference
data, no figures) served by gunicorn, with a background worker
(`manage.py db_worker`) as `make run` starts one:

1. a staff session uploads a release of N rows (the admin's upload form,
   over HTTP), watches the check through the status endpoint, confirms,
   and watches the import until it is done: seconds for the upload request
   alone, and for the whole path; the worker's peak memory;
2. the same at a fifth of the size (flat memory: the peak must not grow
   with the file);
3. `manage.py import_observations` of the same file into a database in
   the same state: the admin path's rate must be within 2x of it.

Every target is a ratio or a bound measured in this one run. Results go
to bench/IMPORT_RESULTS.md.

    make bench-imports                                   # 50,000 rows, a few minutes
    .venv/bin/python bench/imports.py --rows 5000        # a quick look
"""

import argparse
import csv
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PYTHON, ROOT, Site, manage, peak_rss_of, psql  # noqa: E402

HEADERS = ["region", "metric", "period", "value", "unit", "yoy_change", "source", "quote"]
METRICS = [f"synthetic-metric-{n:02d}" for n in range(20)]
REGIONS_SQL = "SELECT code FROM metrics_region WHERE path LIKE '100000/140000/%' ORDER BY path"


def release(path: Path, rows: int, regions: list[str]) -> Path:
    """A monthly-release-shaped file: 20 metrics x every Shanxi region x enough days."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        written, day = 0, date(1990, 1, 1)
        while written < rows:
            label = f"{day.isoformat()}/{day.isoformat()}"
            for region in regions:
                for metric in METRICS:
                    if written == rows:
                        break
                    writer.writerow(
                        [region, metric, label, f"{1 + written % 997}.5", "万元", "3.1",
                         "synthetic-data-generator", "Synthetic release row (benchmark)"]
                    )  # fmt: skip
                    written += 1
            day += timedelta(days=1)
    return path


class Worker:
    """`manage.py db_worker`, as `make run` starts it, with its peak memory."""

    def __init__(self, env):
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.2",
             "--no-startup-delay", "--verbosity", "0"],
            cwd=ROOT, env=env,
        )  # fmt: skip

    def peak_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def through_the_admin(site: Site, path: Path) -> dict:
    """Upload, check, confirm, import: what a member of staff does, timed."""
    session = requests.Session()
    name, value = site.cookie.split("=", 1)
    session.cookies.set(name, value, domain="127.0.0.1")
    add = f"{site.base}/admin/metrics/importjob/add/"
    session.get(add).raise_for_status()
    token = session.cookies["csrftoken"]
    worker = Worker(site.env)
    try:
        started = time.perf_counter()
        with path.open("rb") as stream:
            response = session.post(
                add,
                files={"file": (path.name, stream, "text/csv")},
                data={"csrfmiddlewaretoken": token},
                headers={"Referer": add},
                allow_redirects=False,
            )
        upload_seconds = time.perf_counter() - started
        response.raise_for_status()
        job_url = site.base + response.headers["Location"].removesuffix("change/")
        status = wait(session, job_url, until={"checked", "invalid", "failed"})
        checked_at = time.perf_counter()
        assert status["state"] == "checked", status
        page = session.get(job_url + "change/")
        confirmed = session.post(
            job_url + "confirm/",
            data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": job_url + "change/"},
            allow_redirects=False,
        )
        del page
        confirmed.raise_for_status()
        status = wait(session, job_url, until={"imported", "refused", "failed"})
        finished = time.perf_counter()
        assert status["state"] == "imported", status
        return {
            "rows": status["rows_new"],
            "upload_seconds": upload_seconds,
            "check_seconds": checked_at - started,
            "total_seconds": finished - started,
            "worker_peak_mib": worker.peak_mib(),
        }
    finally:
        worker.stop()


def wait(session, job_url, *, until) -> dict:
    while True:
        status = session.get(job_url + "status.json").json()
        if status["state"] in until:
            return status
        time.sleep(0.2)


def fresh(site: Site):
    """The site's database as before any release: no synthetic figures, no jobs."""
    psql(
        "DELETE FROM metrics_observation WHERE source_quote LIKE 'Synthetic release row%'; "
        "DELETE FROM metrics_importproblem; DELETE FROM metrics_importrow; "
        "DELETE FROM metrics_importjob; DELETE FROM django_tasks_database_dbtaskresult",
        site.database,
    )
    psql("VACUUM ANALYZE", site.database)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    options = parser.parse_args()
    site = Site("imports", 0, 0)
    workdir = ROOT / "var" / "bench-imports"
    workdir.mkdir(parents=True, exist_ok=True)
    site.build()
    manage(site.env, "create_demo_staff", capture_output=True)  # the command's --user
    codes = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", site.database, "-qAt", "-c",
         REGIONS_SQL],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    large = release(workdir / f"release-{options.rows}.csv", options.rows, codes)
    small = release(workdir / f"release-{options.rows // 5}.csv", options.rows // 5, codes)
    site.serve()
    try:
        fresh(site)
        admin_small = through_the_admin(site, small)
        fresh(site)
        admin_large = through_the_admin(site, large)
    finally:
        site.stop()
    fresh(site)
    command_seconds, command_peak = peak_rss_of(
        [PYTHON, "manage.py", "import_observations", str(large), "--user", "demo-admin"],
        site.env,
    )
    psql(f'DROP DATABASE IF EXISTS "{site.database}" WITH (FORCE)')
    write_results(options.rows, admin_small, admin_large, command_seconds, command_peak)
    return 0


def write_results(rows, small, large, command_seconds, command_peak):
    admin_rate = large["rows"] / large["total_seconds"]
    command_rate = rows / command_seconds
    ratio = command_rate / admin_rate
    growth = large["worker_peak_mib"] / small["worker_peak_mib"]
    targets = [
        ("admin path, upload to imported", f"{admin_rate:,.0f} rows/s", ">= 1,000 rows/s",
         admin_rate >= 1000),
        ("upload request", f"{large['upload_seconds']:.2f} s", "< 1 s",
         large["upload_seconds"] < 1),
        ("command rate / admin path rate", f"{ratio:.2f}x", "<= 2x", ratio <= 2),
        (f"worker peak memory, {rows:,} rows / {rows // 5:,} rows", f"{growth:.2f}x",
         "<= 1.2x (flat)", growth <= 1.2),
    ]  # fmt: skip
    lines = [
        "# Release import benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}), PostgreSQL, `make bench-imports` (bench/imports.py).",
        "",
        "| measure | small | large |",
        "| --- | ---: | ---: |",
        f"| rows | {small['rows']:,} | {large['rows']:,} |",
        f"| upload request (s) | {small['upload_seconds']:.2f} | {large['upload_seconds']:.2f} |",
        f"| upload to checked (s) | {small['check_seconds']:.1f} | {large['check_seconds']:.1f} |",
        f"| upload to imported (s) | {small['total_seconds']:.1f} | {large['total_seconds']:.1f} |",
        f"| worker peak memory (MiB) | {small['worker_peak_mib']:.0f} | "
        f"{large['worker_peak_mib']:.0f} |",
        "",
        f"`import_observations` of the large file: {command_seconds:.1f} s "
        f"({command_rate:,.0f} rows/s), peak {command_peak:.0f} MiB.",
        "",
        "| target | measured | bound | met |",
        "| --- | ---: | --- | --- |",
        *[
            f"| {name} | {value} | {bound} | {'yes' if ok else 'NO'} |"
            for name, value, bound, ok in targets
        ],  # fmt: skip
        "",
    ]
    (ROOT / "bench" / "IMPORT_RESULTS.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
