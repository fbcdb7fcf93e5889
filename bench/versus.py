"""
The rendered pages of this code against an earlier commit's, on this machine,
in one run: each version serves its own 100k / 1M database with gunicorn (page
cache off, as bench/run.py's rendered pass), and wrk measures every page on
one, then on the other, alternating which goes first, for a few rounds. The
ratio of the two medians says whether this code renders a page with more or
less work than the reference did, whatever the machine's speed; with the
reference's own bench/RESULTS.md, it projects this code's milliseconds onto
the machine that file was measured on. Results: bench/VERSUS.md.

The reference is checked out in var/versus/<commit> and its database built
by its own code (its demo fixture and synthetic generator, the same seed and
sizes); this code's database is bench/run.py's large one, built if missing.

    .venv/bin/python bench/versus.py 76d66a8                 # about 25 minutes
    .venv/bin/python bench/versus.py 76d66a8 --rounds 1 --seconds 5
"""

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (  # noqa: E402
    PUBLIC_DETAILS,
    PUBLIC_LISTS,
    PYTHON,
    ROOT,
    SIZES,
    Site,
    in_turn,
    psql,
    wrk,
)

PAGES = {"floor": "/bench/floor", **PUBLIC_LISTS, **PUBLIC_DETAILS}


def exists(database) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'").strip() == "1"


def checkout(commit) -> Path:
    tree = ROOT / "var" / "versus" / commit
    if not tree.exists():
        tree.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-f", str(tree), commit], cwd=ROOT, check=True
        )
        subprocess.run([PYTHON, "scripts/compile_translations.py"], cwd=tree, check=True)
    return tree


def reference_site(tree, commit, rebuild) -> Site:
    """The reference's large database, built by the reference's own code."""
    site = Site("large", *SIZES["large"])
    site.database = f"policy_versus_{commit}"
    site.env |= {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{site.database}",
        "DJANGO_STATIC_ROOT": str(tree / "var" / "bench-static"),
    }
    if rebuild or not exists(site.database):
        psql(f'DROP DATABASE IF EXISTS "{site.database}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{site.database}"')

        def manage(*args):
            subprocess.run([PYTHON, "manage.py", *args], cwd=tree, env=site.env, check=True)

        manage("migrate", "-v", "0")
        manage("loaddata", "shanxi_2020", "-v", "0")
        manage(
            "generate_synthetic",
            "--programs", str(site.programs),
            "--observations", str(site.observations),
            "--seed", str(site.order["seed"]),
        )  # fmt: skip
        # As a live site's scheduled check leaves it, where the reference had one.
        subprocess.run([PYTHON, "manage.py", "record_quality_check", "-v", "0"],
                       cwd=tree, env=site.env, check=False)  # fmt: skip
        psql("VACUUM ANALYZE", site.database)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                   cwd=tree, env=site.env, check=True)  # fmt: skip
    return site


def current_site(rebuild) -> Site:
    site = Site("large", *SIZES["large"])
    if rebuild or not exists(site.database):
        site.build()
    else:
        subprocess.run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                       cwd=ROOT, env=site.env, check=True)  # fmt: skip
    return site


def recorded(commit) -> dict[str, float]:
    """The rendered p50 of each page at 100k / 1M in the reference's own RESULTS.md."""
    text = subprocess.run(
        ["git", "show", f"{commit}:bench/RESULTS.md"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    large = text.split("## 100,000 programs", 1)[-1].split("\n## ", 1)[0]
    values = {}
    for line in large.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 9 and re.fullmatch(r"[\d.]+", cells[5]):
            values[cells[0]] = float(cells[5])
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the reference commit")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per page and version")
    parser.add_argument("--rebuild", action="store_true", help="build both databases again")
    options = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", options.commit],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = checkout(commit)
    versions = {"reference": (reference_site(tree, commit, options.rebuild), tree),
                "current": (current_site(options.rebuild), ROOT)}  # fmt: skip
    servers = {}
    try:
        for name, (site, root) in versions.items():
            site.serve(root, PUBLIC_PAGE_CACHE_SECONDS="0")
            servers[name] = site
            site.warm(list(PAGES.values()) * 3)  # what each page remembers is kept
        medians = {page: {name: [] for name in versions} for page in PAGES}
        for round_, order in enumerate(in_turn(versions, options.rounds)):
            for page, path in PAGES.items():
                for name in order:
                    medians[page][name].append(
                        wrk(servers[name].base + path, options.seconds)["p50"]
                    )
            print(f"round {round_ + 1} of {options.rounds} done", flush=True)
    finally:
        for site in servers.values():
            site.stop()
    there = recorded(commit)
    lines = [
        "# This code against an earlier commit's, on one machine",
        "",
        f"`bench/versus.py {commit}`: rendered p50 (ms, page cache off) at 100k / 1M, each "
        f"version on its own database built by its own code; {options.rounds} rounds of "
        f"{options.seconds} s of wrk per page and version, alternating which goes first; "
        "medians of the rounds. The last "
        f"column applies the ratio to the p50 that {commit}'s own bench/RESULTS.md recorded "
        "(on the machine of that run).",
        "",
        f"| page | {commit} p50 ms | current p50 ms | current / {commit} | {commit} recorded ms "
        "| current projected ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page, by in medians.items():
        before, after = statistics.median(by["reference"]), statistics.median(by["current"])
        cells = [f"{before:.2f}", f"{after:.2f}", f"{after / before:.2f}"]
        if page in there:
            cells += [f"{there[page]:.2f}", f"{there[page] * after / before:.1f}"]
        else:
            cells += ["–", "–"]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    lines.append("")
    (ROOT / "bench" / "VERSUS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
