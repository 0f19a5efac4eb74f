"""Actors of the leaderboards (their names keep the `points.` prefix: messages already queued name them)."""

from __future__ import annotations

import dramatiq

from servicebank.leaderboards.rebuild import rebuild_redis, rebuild_redis_if_missing
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

# A Redis restarted without persistence, or flushed, has no boards: the check is one EXISTS.
every("points-ensure-leaderboards", "points.ensure_leaderboards", seconds=30)


@dramatiq.actor(actor_name="points.rebuild_leaderboards", queue_name="maintenance", max_retries=3,
                time_limit=30 * 60 * 1000)
async def rebuild_leaderboards() -> None:
    """Refill the Redis leaderboards from the totals kept in PostgreSQL, after Redis lost them.

    Only Redis: the kept totals are written with every posting and were never lost. Recomputing
    them from the ledger too (`servicebank leaderboards rebuild`) holds their tables for about a
    minute at city size, with every posting waiting.
    """
    await rebuild_redis(worker_db())


@dramatiq.actor(actor_name="points.ensure_leaderboards", queue_name="maintenance", max_retries=0,
                time_limit=30 * 60 * 1000)
async def ensure_leaderboards() -> None:
    """Rebuild the Redis leaderboards if they are missing (idempotent; one rebuild at a time)."""
    await rebuild_redis_if_missing(worker_db())
