"""The CI's audit summary says plainly when nothing could be audited, and fails on a vulnerability."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dependency_audit.py"


def run(report: object, *args: str) -> subprocess.CompletedProcess[str]:
    body = report if isinstance(report, str) else json.dumps(report)
    return subprocess.run([sys.executable, str(SCRIPT), *args], input=body, capture_output=True, text=True,
                          timeout=60)


def skipped(name: str) -> dict:
    return {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)"}


def test_unreachable_database_is_reported_as_not_audited() -> None:
    result = run({"dependencies": [skipped("litestar"), skipped("redis")], "fixes": []})
    assert result.returncode == 0
    assert "NOT AUDITED, 0 of 2 packages" in result.stdout
    assert "no known vulnerabilities" not in result.stdout.lower()


def test_partly_audited_names_what_was_not_checked() -> None:
    report = {"dependencies": [{"name": "litestar", "version": "2.25.0", "vulns": []}, skipped("redis")]}
    result = run(report)
    assert result.returncode == 0
    assert "1 of 2 packages checked" in result.stdout and "NOT checked: redis" in result.stdout


def test_a_known_vulnerability_fails_the_run() -> None:
    report = {"dependencies": [{"name": "jinja2", "version": "3.0.0", "vulns": [{"id": "GHSA-x", "fix_versions": []}]}]}
    result = run(report)
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "GHSA-x" in result.stdout


def test_json_output_and_garbage_input() -> None:
    result = run({"dependencies": [skipped("redis")]}, "--json")
    assert json.loads(result.stdout)["audited"] == 0
    garbage = run("Traceback: no network")
    assert garbage.returncode == 0 and "NOT AUDITED" in garbage.stdout
