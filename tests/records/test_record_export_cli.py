"""`servicebank records export` against a seeded SQLite database: JSON Lines and .xlsx, progress on stderr, --json,
the 台账's counts, and stable codes for bad input."""

from __future__ import annotations

import json

import openpyxl
from click.testing import CliRunner

from servicebank.cli import cli
from tests.honours.test_cli import seeded_db  # noqa: F401 - the fixture is shared


def test_export_from_the_command_line(seeded_db, tmp_path) -> None:  # noqa: ANN001, F811
    scope = f"street:{seeded_db.org.street.id}"
    runner = CliRunner()
    out = tmp_path / "october.jsonl"
    result = runner.invoke(cli, ["records", "export", "--scope", scope, "--from", "2026-10", "--to", "2026-10",
                                 "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert printed["records"] == len(lines) > 0 and printed["written"] == str(out)
    assert '"progress": "records"' in result.stderr
    taizhang = json.loads(runner.invoke(cli, ["reports", "taizhang", "--scope", scope, "--period", "2026-10"]).stdout)
    counted = [r for r in lines if r["record_type"] in ("activity", "late_claim")]
    assert (len(counted), sum(r["service_minutes"] for r in counted), len({r["volunteer_number"] for r in counted})) \
        == (taizhang["current"]["participations"], taizhang["current"]["service_minutes"],
            taizhang["current"]["volunteers_served"])

    book = tmp_path / "october.xlsx"
    result = runner.invoke(cli, ["records", "export", "--scope", scope, "--from", "2026-10", "--to", "2026-10",
                                 "--out", str(book)])
    assert result.exit_code == 0, result.output
    assert f"wrote {book}" in result.stdout and "records:" in result.stderr
    rows = list(openpyxl.load_workbook(book)["服务记录"].iter_rows(values_only=True))
    assert len(rows) - 1 == len(lines)

    for args, code in ((["--from", "2026-10", "--to", "2026-09"], "month_range_reversed"),
                       (["--from", "2025-10", "--to", "2026-10"], "month_range_too_long"),
                       (["--from", "2026-10", "--to", "2026-10", "--scope", "street:999"], "scope_not_found")):
        bad = runner.invoke(cli, ["records", "export", "--scope", scope, "--out", str(tmp_path / "x.jsonl"),
                                  *args, "--json"])
        assert bad.exit_code == 1 and json.loads(bad.stderr)["error"] == code, bad.output
    wrong = runner.invoke(cli, ["records", "export", "--scope", scope, "--from", "2026-10", "--to", "2026-10",
                                "--out", str(tmp_path / "x.csv"), "--json"])
    assert wrong.exit_code == 1 and json.loads(wrong.stderr)["error"] == "invalid_format"
