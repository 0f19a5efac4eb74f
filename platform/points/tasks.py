"""Actors of the points domain."""

from __future__ import annotations

import dramatiq

from servicebank.workers.runtime import worker_db


@dramatiq.actor(actor_name="points.rebuild_leaderboards", queue_name="maintenance", max_retries=3,
                time_limit=30 * 60 * 1000)
async def rebuild_leaderboards() -> None:
    """Recreate the kept totals and Redis leaderboards from the ledger (after a Redis restart)."""
    from servicebank.points.rebuild import rebuild_leaderboards as rebuild

    await rebuild(worker_db())
