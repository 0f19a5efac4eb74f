"""`servicebank ledger verify` and `servicebank leaderboards rebuild`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from servicebank.cli_support import emit, fail, json_option, progress, run_with_db

if TYPE_CHECKING:
    from servicebank.kernel.db import Database


def _human_report(data: dict) -> str:
    lines = [f"{name}: {'ok' if count == 0 else f'{count} difference(s)'}" for name, count in data["differences"].items()]
    for problem in data["problems"]:
        lines.append("  - " + ", ".join(f"{k}={v}" for k, v in problem.items()))
    if any(data["differences"].values()):
        lines.append("ledger verification FAILED")
    elif data["leaderboards"] in PENDING_MESSAGES:
        lines.append(PENDING_MESSAGES[data["leaderboards"]])
    else:
        lines.append("ledger verified: every balance and leaderboard matches the entries")
    return "\n".join(lines)


# Exit codes of `ledger verify`: a difference is 1; leaderboards not checkable yet (no difference found) is 3.
EXIT_DIFFERENCES, EXIT_LEADERBOARDS_PENDING = 1, 3
PENDING_MESSAGES = {
    "rebuilding": "ledger verified; the Redis leaderboards are being rebuilt from PostgreSQL and were not "
                  "checked: run verify again in a minute",
    "not_built": "ledger verified; the Redis leaderboards are not built yet (fresh install or Redis restarted) and "
                 "were not checked: the scheduler rebuilds them within a minute (or run `servicebank leaderboards "
                 "rebuild`), then run verify again",
}


def register(cli: click.Group) -> None:
    """Add the ledger and leaderboards command groups."""

    @cli.group()
    def ledger() -> None:
        """The service bank's points ledger."""

    @ledger.command("verify")
    @json_option
    def verify_command(as_json: bool) -> None:
        """Re-derive every balance, total and leaderboard from the entries.

        Exit 1 on any difference; 3 when nothing differs but the Redis leaderboards are not built yet or
        being rebuilt, so could not be checked (--json: `ok` false, `leaderboards` "not_built" or "rebuilding";
        otherwise "ok", "mismatch" or "not_used").
        """
        from servicebank.points.verify import verify

        async def work(db: Database) -> dict:
            return (await verify(db)).as_dict()

        data = run_with_db(work, publish=False)
        emit(data, as_json=as_json, human=_human_report)
        if any(data["differences"].values()):
            raise SystemExit(EXIT_DIFFERENCES)
        if data["leaderboards"] in PENDING_MESSAGES:
            raise SystemExit(EXIT_LEADERBOARDS_PENDING)

    @cli.group()
    def leaderboards() -> None:
        """Leaderboards by period and scope."""

    @leaderboards.command("rebuild")
    @json_option
    def rebuild_command(as_json: bool) -> None:
        """Recreate the period totals, the community totals and the Redis leaderboards from the ledger."""
        from servicebank.points.rebuild import rebuild_leaderboards

        async def work(db: Database) -> dict:
            with progress("rebuilding leaderboards", None, as_json=as_json) as bar:
                return await rebuild_leaderboards(db, bar.advance)

        try:
            data = run_with_db(work, publish=False)
        except OSError as exc:
            fail(f"Could not reach the database or Redis: {exc}", code="rebuild_failed", as_json=as_json)
            return
        emit(data, as_json=as_json, human=lambda d: f"rebuilt {d['period_totals']} period totals "
                                                    f"({d['redis_members']} written to Redis)")
