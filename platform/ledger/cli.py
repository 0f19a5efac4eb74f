"""`servicebank ledger verify`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from servicebank.cli_support import emit, json_option, run_with_db

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
    """Add the ledger command group."""

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
        from servicebank.ledger.verify import verify

        async def work(db: Database) -> dict:
            return (await verify(db)).as_dict()

        data = run_with_db(work, publish=False)
        emit(data, as_json=as_json, human=_human_report)
        if any(data["differences"].values()):
            raise SystemExit(EXIT_DIFFERENCES)
        if data["leaderboards"] in PENDING_MESSAGES:
            raise SystemExit(EXIT_LEADERBOARDS_PENDING)
