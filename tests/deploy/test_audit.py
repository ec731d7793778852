""".ci/audit.py (`make audit`): what it fails on, given pip-audit's JSON report.

The vulnerability services are out of reach on this machine (the audit warns and passes there),
so the verdict is tested on reports in pip-audit's own JSON shape; the lock checks run on the
repository's real locks.
"""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

LOCKS = [ROOT / "requirements.lock", ROOT / "requirements-dev.lock"]


def report(*vulns, skip_reason=None):
    dependency = {"name": "django", "version": "5.2.0", "vulns": list(vulns)}
    if skip_reason:
        dependency = {"name": "django", "skip_reason": skip_reason}
    return {"dependencies": [dependency, {"name": "celery", "version": "5.5.0", "vulns": []}], "fixes": []}


def vuln(id_, fixed=("5.2.1",), aliases=()):
    return {"id": id_, "fix_versions": list(fixed), "aliases": list(aliases), "description": "..."}


def test_a_vulnerability_with_a_fixed_release_fails(capsys):
    assert audit.judge(report(vuln("PYSEC-2026-1")), {}) == 1
    assert "VULNERABLE: django 5.2.0: PYSEC-2026-1 (fixed in 5.2.1)" in capsys.readouterr().err


def test_none_or_one_without_a_fix_passes_with_a_warning(capsys):
    assert audit.judge(report(), {}) == 0
    assert audit.judge(report(vuln("GHSA-aaaa-bbbb-cccc", fixed=())), {}) == 0
    assert "no fixed release yet" in capsys.readouterr().err


def test_an_ignored_id_or_alias_passes_and_says_why(capsys):
    reason = "the vulnerable function is not used here; 2026-11-30"
    assert audit.judge(report(vuln("PYSEC-2026-1", aliases=["CVE-2026-0001"])), {"CVE-2026-0001": reason}) == 0
    assert reason in capsys.readouterr().out


def test_an_ignore_without_a_reason_is_refused(tmp_path):
    ignore_file = tmp_path / "audit-ignore.txt"
    ignore_file.write_text("# comment\nPYSEC-2026-1   reason given\nGHSA-xxxx-xxxx-xxxx\n")
    with pytest.raises(SystemExit, match="audit-ignore.txt:3: GHSA-xxxx-xxxx-xxxx has no reason"):
        audit.ignored_ids(ignore_file)


def test_an_unreachable_service_warns_and_passes_unless_required(monkeypatch, capsys):
    unreachable = report(skip_reason="Dependency not found on PyPI and could not be audited")
    unreachable["dependencies"].pop()
    assert audit.judge(unreachable, {}) == 0
    assert "could not be asked" in capsys.readouterr().err
    monkeypatch.setenv("AUDIT_REQUIRE_SERVICE", "1")
    assert audit.judge(unreachable, {}) == 1


def test_the_repository_locks_pin_every_dependency_and_agree():
    assert [audit.missing_from_lock(lock) for lock in LOCKS] == [[], []]
    assert audit.disagreements(LOCKS) == []
    runtime, dev = (audit.pins(lock) for lock in LOCKS)
    assert runtime.keys() < dev.keys() and "pytest" not in runtime and runtime["django"] == dev["django"]


def test_a_stale_or_split_lock_is_caught(tmp_path):
    stale = tmp_path / "requirements.lock"
    stale.write_text("django==5.2.8 \\\n    --hash=sha256:00\n")
    assert "celery" in audit.missing_from_lock(stale)
    other = tmp_path / "requirements-dev.lock"
    other.write_text("django==5.2.9 \\\n    --hash=sha256:00\n")
    assert audit.disagreements([stale, other]) == ["django 5.2.8 (requirements.lock) / 5.2.9 (requirements-dev.lock)"]
