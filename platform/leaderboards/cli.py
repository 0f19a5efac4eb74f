"""`servicebank leaderboards rebuild` and `servicebank leaderboards prune`."""

from __future__ import annotations

import asyncio
import time
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
    @click.option("--parallel", is_flag=True,
                  help="Refill Redis through the workers, one task per batch of scopes, and follow their progress.")
    @click.option("--batches", type=click.IntRange(1, 256), default=8, show_default=True,
                  help="With --parallel: how many batches the scopes other than the city are dealt into.")
    @click.option("--timeout", type=click.IntRange(1), default=3600, show_default=True,
                  help="With --parallel: seconds to wait for the workers.")
    @click.option("--month", default=None, help="Only this service month (YYYY-MM): its period and community "
                                                "totals, and the years, all time and standings they add up to.")
    @json_option
    def rebuild_command(parallel: bool, batches: int, timeout: int, month: str | None, as_json: bool) -> None:
        """Recreate the period totals, the community totals and the Redis leaderboards from the ledger."""
        from servicebank.leaderboards.rebuild import rebuild_leaderboards, rebuild_totals

        if month is not None:
            _rebuild_month(month, as_json=as_json)
            return

        async def work(db: Database) -> dict:
            if not parallel:
                with progress("rebuilding leaderboards", None, as_json=as_json) as bar:
                    return await rebuild_leaderboards(db, bar.advance)
            if not db.settings.redis_url:
                fail("--parallel needs Redis and workers: set SERVICEBANK_REDIS_URL.", code="rebuild_needs_redis",
                     as_json=as_json)
            with progress("rebuilding totals", None, as_json=as_json) as bar:
                summary = await rebuild_totals(db, bar.advance)
            return summary | await _follow_parallel(db, batches=batches, timeout=timeout, as_json=as_json)

        try:
            data = run_with_db(work, publish=False)
        except OSError as exc:
            fail(f"Could not reach the database or Redis: {exc}", code="rebuild_failed", as_json=as_json)
            return
        if parallel and not data["finished"]:
            fail(f"The workers finished {data['done']} of {data['total']} batches of job {data['job']} within "
                 f"{timeout} s; are `dramatiq servicebank.workers.tasks` processes running?",
                 code="rebuild_incomplete", as_json=as_json)
        emit(data, as_json=as_json, human=lambda d: f"rebuilt {d['period_totals']} period totals "
                                                    f"({d['redis_members']} written to Redis)")

    @leaderboards.command("prune")
    @json_option
    def prune_command(as_json: bool) -> None:
        """Delete from Redis the monthly boards older than SERVICEBANK_LEADERBOARD_MONTHS (read from SQL)."""
        from servicebank.leaderboards.prune import prune_aged_months
        from servicebank.leaderboards.retention import oldest_kept_month

        async def work(db: Database) -> dict:
            return {"oldest_kept_month": oldest_kept_month(db.settings), "keys_deleted": prune_aged_months(db.settings)}

        emit(run_with_db(work, publish=False), as_json=as_json,
             human=lambda d: f"deleted {d['keys_deleted']} Redis keys of months before {d['oldest_kept_month']}")


def _rebuild_month(month: str, *, as_json: bool) -> None:
    from servicebank.kernel.partitions import parse_month
    from servicebank.leaderboards.rebuild_month import rebuild_month

    try:
        parse_month(month)
    except ValueError:
        fail(f"Not a month: {month!r} (YYYY-MM).", code="bad_month", as_json=as_json, exit_code=2)
    data = run_with_db(lambda db: rebuild_month(db, month), publish=False)
    emit(data, as_json=as_json, human=lambda d: f"rebuilt {d['month']}: {d['volunteers']} volunteers' totals changed")


async def _follow_parallel(db: Database, *, batches: int, timeout: int, as_json: bool) -> dict:
    """Send the batches and show their progress until the last one is done (or the timeout)."""
    from servicebank.leaderboards.parallel import job_status, start_parallel_rebuild

    job = await start_parallel_rebuild(db, batches=batches)
    status = job_status(db, job)
    deadline = time.monotonic() + timeout
    with progress(f"rebuilding Redis, job {job} (batches)", status["total"], as_json=as_json) as bar:
        while not status["finished"] and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            status = job_status(db, job)
            bar.advance(status["done"] - bar.done)
    return status | {"redis_members": status["members"]}
