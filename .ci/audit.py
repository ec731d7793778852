"""Known vulnerabilities of the locked dependencies (requirements.lock, requirements-dev.lock), with
pip-audit.

Fails (exit 1) on any known vulnerability that has a fixed version, unless its id is in
.ci/audit-ignore.txt with a reason. pip-audit has no severity filter: "a fix exists" is the line
drawn, since then the remedy is a version bump. Vulnerabilities without any fix are printed, not
failed on.

When the vulnerability service cannot be asked (no network, or a package index without PyPI's JSON
API, where every package comes back "not found"), it prints a warning and exits 0: the audit must
not block work on a machine that cannot reach it. AUDIT_REQUIRE_SERVICE=1 makes that a failure.

It first checks that each lock pins every dependency named in pyproject.toml (the dev extra too for
a lock named *-dev*) and that a package pinned by two locks has one version (else: run `make lock`).

Usage: python .ci/audit.py requirements.lock [requirements-dev.lock ...]
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


def ignored_ids(path: Path = IGNORE_FILE) -> dict[str, str]:
    """id -> reason; a line without a reason is an error (an ignore must say why)."""
    ignores = {}
    for number, line in enumerate(path.read_text().splitlines(), 1) if path.exists() else ():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{path.name}:{number}: {vuln_id} has no reason; write why it is ignored.")
        ignores[vuln_id] = reason.strip()
    return ignores


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group()).lower()


def pins(lock: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a lock."""
    return {_name(line): line.split("==", 1)[1].split()[0].rstrip("\\")
            for line in lock.read_text().splitlines() if "==" in line and not line.startswith((" ", "#"))}


def missing_from_lock(lock: Path) -> list[str]:
    """pyproject.toml's dependencies (the dev extra too for a dev lock) that the lock does not pin."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"]]
    if "-dev" in lock.name:
        wanted += project.get("optional-dependencies", {}).get("dev", [])
    return sorted({_name(requirement) for requirement in wanted} - pins(lock).keys())


def disagreements(locks: list[Path]) -> list[str]:
    """Packages that two locks pin at different versions."""
    seen: dict[str, tuple[str, str]] = {}
    found = []
    for lock in locks:
        for name, version in pins(lock).items():
            first = seen.setdefault(name, (version, lock.name))
            if first[0] != version:
                found.append(f"{name} {first[0]} ({first[1]}) / {version} ({lock.name})")
    return found


def unreachable(message: str) -> int:
    print(f"WARNING: dependency audit skipped, the vulnerability service could not be asked: {message}", file=sys.stderr)
    return 1 if os.environ.get("AUDIT_REQUIRE_SERVICE") == "1" else 0


def main() -> int:
    locks = [Path(arg) for arg in sys.argv[1:]] or [ROOT / "requirements.lock", ROOT / "requirements-dev.lock"]
    for lock in locks:
        if stale := missing_from_lock(lock):
            print(f"{lock.name} does not pin {', '.join(stale)} from pyproject.toml: run `make lock`.", file=sys.stderr)
            return 1
    if split := disagreements(locks):
        print(f"the locks disagree: {'; '.join(split)}: run `make lock`.", file=sys.stderr)
        return 1
    # One pip-audit run over the largest lock, when it holds every other lock's pins (the dev lock
    # does: the run-time lock is resolved within it); else each lock is audited in turn.
    widest = max(locks, key=lambda path: len(pins(path)))
    if all(pins(lock).keys() <= pins(widest).keys() for lock in locks):
        locks = [widest]
    return max(audit(lock) for lock in locks)


def audit(lock: Path) -> int:
    command = [sys.executable, "-m", "pip_audit", "-r", str(lock), "--require-hashes", "--disable-pip",
               "--format", "json", "--progress-spinner", "off", "--timeout", "30"]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return unreachable(last[:300])
    return judge(report, ignored_ids())


def judge(report: dict, ignores: dict[str, str]) -> int:
    """pip-audit's JSON report -> exit code: 1 on a vulnerability with a fixed release not ignored."""
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    if dependencies and len(skipped) == len(dependencies):
        return unreachable(skipped[0]["skip_reason"])
    for dependency in skipped:
        print(f"WARNING: not audited: {dependency['name']}: {dependency['skip_reason']}", file=sys.stderr)

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
