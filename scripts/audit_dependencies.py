"""
Audit the pinned runtime dependencies for known vulnerabilities.

Runs pip-audit on requirements.txt. Where pip-audit cannot look a package
up (some package mirrors serve PyPI's JSON only for a project's latest
release, not per version), the package is checked against that latest-
release record instead, which is only valid when the pin *is* the latest
release; a pin that can be checked neither way is a failure, never a pass.

Exit status 0 only when every pin was audited and none has a known
vulnerability.
"""

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPI = "https://pypi.org/pypi/{name}/json"


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if match := re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip()):
            found[match[1].lower().replace("_", "-")] = match[2]
    return found


def pip_audit(requirements: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--format", "json",
         "--progress-spinner", "off"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout, result.stderr, sep="\n")
        raise SystemExit("pip-audit gave no report") from None


def latest_release_record(name: str) -> dict:
    with urllib.request.urlopen(PYPI.format(name=name), timeout=30) as response:
        return json.load(response)


def main() -> int:
    requirements = ROOT / "requirements.txt"
    pinned = pins(requirements)
    report = pip_audit(requirements)
    vulnerable, unaudited, audited = [], [], 0
    for dependency in report.get("dependencies", []):
        name = dependency["name"].lower().replace("_", "-")
        if "skip_reason" not in dependency:
            audited += 1
            vulnerable += [(name, vuln["id"]) for vuln in dependency.get("vulns", [])]
            continue
        record = latest_release_record(name)
        if record["info"]["version"] != pinned.get(name):
            unaudited.append(f"{name}=={pinned.get(name)} (latest {record['info']['version']})")
            continue
        audited += 1
        vulnerable += [(name, vuln["id"]) for vuln in record.get("vulnerabilities", [])]
    print(f"{audited} of {len(pinned)} pinned packages audited.")
    for name, vuln in vulnerable:
        print(f"VULNERABLE: {name}: {vuln}")
    for line in unaudited:
        print(f"NOT AUDITED: {line}")
    if not vulnerable and not unaudited:
        print("No known vulnerabilities.")
    return 1 if vulnerable or unaudited else 0


if __name__ == "__main__":
    sys.exit(main())
