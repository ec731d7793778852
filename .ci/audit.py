"""Known vulnerabilities of the locked dependencies (requirements.lock), with pip-audit.

Fails (exit 1) on any known vulnerability that has a fixed version, unless its id is in
.ci/audit-ignore.txt with a reason. pip-audit has no severity filter: "a fix exists" is the line
drawn, since then the remedy is a version bump. Vulnerabilities without any fix are printed, not
failed on.

When the vulnerability service cannot be asked (no network, or a package index without PyPI's JSON
API, where every package comes back "not found"), it prints a warning and exits 0: the audit must
not block work on a machine that cannot reach it. AUDIT_REQUIRE_SERVICE=1 makes that a failure.

It first checks that the lock pins every dependency named in pyproject.toml (else: run `make lock`).

Usage: python .ci/audit.py [requirements.lock]
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / ".ci" / "audit-ignore.txt"


def ignored_ids() -> dict[str, str]:
    """id -> reason; a line without a reason is an error (an ignore must say why)."""
    ignores = {}
    for number, line in enumerate(IGNORE_FILE.read_text().splitlines(), 1) if IGNORE_FILE.exists() else ():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{IGNORE_FILE.name}:{number}: {vuln_id} has no reason; write why it is ignored.")
        ignores[vuln_id] = reason.strip()
    return ignores


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group()).lower()


def missing_from_lock(lock: Path) -> list[str]:
    """pyproject.toml's dependencies (dev extra included) that the lock does not pin: a stale lock."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project.get("optional-dependencies", {}).get("dev", [])]
    pinned = {_name(line) for line in lock.read_text().splitlines() if "==" in line and not line.startswith((" ", "#"))}
    return sorted({_name(requirement) for requirement in wanted} - pinned)


def unreachable(message: str) -> int:
    print(f"WARNING: dependency audit skipped, the vulnerability service could not be asked: {message}", file=sys.stderr)
    return 1 if os.environ.get("AUDIT_REQUIRE_SERVICE") == "1" else 0


def main() -> int:
    lock = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "requirements.lock")
    if stale := missing_from_lock(lock):
        print(f"{lock.name} does not pin {', '.join(stale)} from pyproject.toml: run `make lock`.", file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "pip_audit", "-r", str(lock), "--require-hashes", "--disable-pip",
               "--format", "json", "--progress-spinner", "off", "--timeout", "30"]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return unreachable(last[:300])

    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    if dependencies and len(skipped) == len(dependencies):
        return unreachable(skipped[0]["skip_reason"])
    for dependency in skipped:
        print(f"WARNING: not audited: {dependency['name']}: {dependency['skip_reason']}", file=sys.stderr)

    ignores = ignored_ids()
    failures = 0
    for dependency in dependencies:
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            line = f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions']) or 'no release'})"
            if ids & ignores.keys():
                print(f"ignored: {line}: {ignores[next(iter(ids & ignores.keys()))]}")
            elif vuln.get("fix_versions"):
                print(f"VULNERABLE: {line}", file=sys.stderr)
                failures += 1
            else:
                print(f"WARNING: {line}: no fixed release yet", file=sys.stderr)
    audited = len(dependencies) - len(skipped)
    print(f"dependency audit: {audited} packages audited, {failures} known vulnerabilities with a fix")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
