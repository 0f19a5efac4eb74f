"""`servicebank leaderboards rebuild`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from servicebank.cli_support import emit, fail, json_option, progress, run_with_db

if TYPE_CHECKING:
    from servicebank.kernel.db import Database


def register(cli: click.Group) -> None:
    """Add the leaderboards command group."""

    @cli.group()
    def leaderboards() -> None:
        """Leaderboards by period and scope."""

    @leaderboards.command("rebuild")
    @json_option
    def rebuild_command(as_json: bool) -> None:
        """Recreate the period totals, the community totals and the Redis leaderboards from the ledger."""
        from servicebank.leaderboards.rebuild import rebuild_leaderboards

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
