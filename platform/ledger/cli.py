"""`servicebank ledger verify` and `servicebank ledger partitions ensure|list|close|detach|attach`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import click

from servicebank.cli_support import emit, fail, json_option, run_with_db

if TYPE_CHECKING:
    from servicebank.kernel.db import Database


def _human_report(data: dict) -> str:
    lines = [f"{name}: {'ok' if count == 0 else f'{count} difference(s)'}" for name, count in data["differences"].items()]
    for problem in data["problems"]:
        lines.append("  - " + ", ".join(f"{k}={v}" for k, v in problem.items()))
    if any(data["differences"].values()):
        lines.append("ledger verification FAILED")
    elif data.get("month"):
        lines.append(f"ledger month {data['month']} verified: its transactions balance, its lines match"
                     + (" the checksum stored when it closed" if data.get("closed") else " (an open month)")
                     + ", its period and community totals match the credits for service in it")
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
    @click.option("--month", default=None, help="Check one month (YYYY-MM, UTC) alone: its transactions, and a "
                                                "closed month against its stored checksum.")
    @click.option("--deep", is_flag=True, help="Re-read every line of the closed months too, not only their sums.")
    @json_option
    def verify_command(month: str | None, deep: bool, as_json: bool) -> None:
        """Re-derive every balance, total and leaderboard from the entries.

        Open months are checked transaction by transaction; closed months against the checksum stored when
        they closed (counts and sums; --deep: every line). Exit 1 on any difference; 3 when nothing differs but
        the Redis leaderboards are not built yet or being rebuilt, so could not be checked (--json: `ok` false,
        `leaderboards` "not_built" or "rebuilding"; otherwise "ok", "mismatch" or "not_used").
        """
        from servicebank.kernel.partitions import parse_month
        from servicebank.ledger.months import is_closed
        from servicebank.ledger.verify import verify

        if month is not None:
            try:
                parse_month(month)
            except ValueError:
                fail(f"Not a month: {month!r} (YYYY-MM).", code="bad_month", as_json=as_json, exit_code=2)

        async def work(db: Database) -> dict:
            data = (await verify(db, month=month, deep=deep)).as_dict()
            if month is not None:
                data.update(month=month, closed=is_closed(month))
            return data

        data = run_with_db(work, publish=False)
        emit(data, as_json=as_json, human=_human_report)
        if any(data["differences"].values()):
            raise SystemExit(EXIT_DIFFERENCES)
        if data["leaderboards"] in PENDING_MESSAGES:
            raise SystemExit(EXIT_LEADERBOARDS_PENDING)

    @ledger.group("partitions")
    def partitions_group() -> None:
        """The ledger's month partitions (PostgreSQL) and closed months' checksums."""

    @partitions_group.command("ensure")
    @click.option("--ahead", default=3, show_default=True, help="Months ahead to create partitions for.")
    @json_option
    def ensure_command(ahead: int, as_json: bool) -> None:
        """Create this month's and the next months' partitions; close the months that ended (store checksums).

        The scheduler runs it daily; running it again does nothing new."""
        from servicebank.ledger import months

        def say(message: str) -> None:
            click.echo(json.dumps({"progress": message}) if as_json else message, err=True)

        data = run_with_db(lambda db: months.ensure(db, months_ahead=ahead, progress=say), publish=False)
        emit(data, as_json=as_json, human=lambda d: (
            f"partitions created: {', '.join(d['created']) or 'none'}\nmonths closed: {', '.join(d['closed']) or 'none'}"))

    @partitions_group.command("list")
    @json_option
    def list_command(as_json: bool) -> None:
        """Every month: open, closed (with its checksum) or still to close, and its partitions."""
        from servicebank.ledger import months

        data = run_with_db(months.listing, publish=False)
        emit(data, as_json=as_json, human=_human_listing)


    @partitions_group.command("close")
    @click.option("--month", required=True, help="The month (YYYY-MM, UTC) whose checksum to compute again.")
    @json_option
    def close_command(month: str, as_json: bool) -> None:
        """Compute a closed month's checksum again from its partition and store it (after a repair or a restore).

        `ensure` closes months by itself once they end; an open month is refused."""
        from servicebank.kernel.partitions import parse_month
        from servicebank.ledger import months

        try:
            parse_month(month)
        except ValueError:
            fail(f"Not a month: {month!r} (YYYY-MM).", code="bad_month", as_json=as_json, exit_code=2)
        if not months.is_closed(month):
            fail(f"{month} is not closed yet: postings may still land in it.", code="month_open", as_json=as_json,
                 exit_code=2)
        figures = run_with_db(lambda db: months.close_month(db, month), publish=False)
        data = {"month": month, **dataclasses.asdict(figures)}
        emit(data, as_json=as_json, human=lambda d: (
            f"{d['month']} closed: {d['transactions']} transactions, {d['entries']} entries, {d['credits']} credits, "
            f"digest {d['digest'][:16]}…"))

    _register_years(partitions_group)


def _register_years(partitions_group: click.Group) -> None:
    """`partitions detach|attach --year`: old years out of the ledger tables and back (ledger/detach.py)."""

    @partitions_group.command("detach")
    @click.option("--year", type=int, required=True, help="The year (UTC) whose month partitions to detach.")
    @json_option
    def detach_command(year: int, as_json: bool) -> None:
        """Carry an old year's figures forward and detach its month partitions (PostgreSQL).

        The year must be over with the one after it (the current year and the one before stay attached), every
        month of it closed, and no older year attached. Its month tables stay in the database as
        `<partition>_detached`, to dump and drop, or to attach again. Exit 2 with a code when refused."""
        from servicebank.ledger import detach

        _change_year(detach.detach_year, year, as_json=as_json, done="detached")

    @partitions_group.command("attach")
    @click.option("--year", type=int, required=True, help="The detached year to attach again (newest first).")
    @json_option
    def attach_command(year: int, as_json: bool) -> None:
        """Attach a detached year's month tables again and drop what it carried (PostgreSQL)."""
        from servicebank.ledger import detach

        _change_year(detach.attach_year, year, as_json=as_json, done="attached")


def _change_year(change: Callable[..., Awaitable[dict]], year: int, *, as_json: bool, done: str) -> None:
    from servicebank.kernel.errors import DomainError

    def say(message: str) -> None:
        click.echo(json.dumps({"progress": message}) if as_json else message, err=True)

    async def work(db: Database) -> dict:
        async with db.session_scope() as session:  # one transaction: a refusal or a failure changes nothing
            return await change(session, year, progress=say)

    try:
        data = run_with_db(work, publish=False)
    except DomainError as exc:
        fail(exc.message, code=exc.code, as_json=as_json, exit_code=2)
        return
    emit(data, as_json=as_json, human=lambda d: (
        f"{d['year']} {done}: {d['entries']} entries, {d['credits']} credits, {len(d['tables'])} month tables"))


def _human_listing(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        parts = ", ".join(f"{name} ~{count} rows" for name, count in row["partitions"].items()) or "no partition"
        lines.append(f"{row['month']}  {row['state']:<9}  {parts}")
    return "\n".join(lines) or "no months"
