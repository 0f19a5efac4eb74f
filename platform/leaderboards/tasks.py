"""Actors of the leaderboards (their names keep the `points.` prefix: messages already queued name them)."""

from __future__ import annotations

import dramatiq

from servicebank.leaderboards.parallel import rebuild_batch, start_parallel_rebuild, start_parallel_rebuild_if_missing
from servicebank.leaderboards.prune import prune_aged_months
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

# A Redis restarted without persistence, or flushed, has no boards: the check is one EXISTS.
every("points-ensure-leaderboards", "points.ensure_leaderboards", seconds=30)
# Months age out of Redis once a month; hourly keeps the prune a SCAN that finds nothing most of the time.
every("points-prune-leaderboards", "points.prune_leaderboards", seconds=3600)


@dramatiq.actor(actor_name="points.rebuild_leaderboards", queue_name="maintenance", max_retries=3,
                time_limit=30 * 60 * 1000)
async def rebuild_leaderboards() -> None:
    """Refill the Redis leaderboards from the totals kept in PostgreSQL, after Redis lost them.

    Only Redis: the kept totals are written with every posting and were never lost. Recomputing
    them from the ledger too (`servicebank leaderboards rebuild`) holds their tables for about a
    minute at city size, with every posting waiting. The work is one message per batch of scopes
    (parallel.py), shared by however many workers there are.
    """
    await start_parallel_rebuild(worker_db())


@dramatiq.actor(actor_name="points.rebuild_leaderboard_scopes", queue_name="maintenance", max_retries=3,
                time_limit=30 * 60 * 1000)
async def rebuild_leaderboard_scopes(job: str, index: int, scopes: list[str]) -> None:
    """One batch of a parallel rebuild: those scopes' boards ([]: the version hashes); idempotent."""
    await rebuild_batch(worker_db(), job, index, scopes)


@dramatiq.actor(actor_name="points.ensure_leaderboards", queue_name="maintenance", max_retries=0,
                time_limit=30 * 60 * 1000)
async def ensure_leaderboards() -> None:
    """Rebuild the Redis leaderboards if they are missing (idempotent; one rebuild at a time)."""
    await start_parallel_rebuild_if_missing(worker_db())


@dramatiq.actor(actor_name="points.prune_leaderboards", queue_name="maintenance", max_retries=0,
                time_limit=10 * 60 * 1000)
async def prune_leaderboards() -> None:
    """Delete from Redis the monthly boards older than SERVICEBANK_LEADERBOARD_MONTHS (retention.py)."""
    prune_aged_months(worker_db().settings)
