"""Periodic jobs of the checkins domain."""

from __future__ import annotations

import logging

import dramatiq

from servicebank.checkins.closing import auto_close_due
from servicebank.kernel.clock import utcnow
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

log = logging.getLogger(__name__)

every("checkins-auto-close", "checkins.auto_close", seconds=300)


@dramatiq.actor(actor_name="checkins.auto_close", queue_name="default", max_retries=0)
async def auto_close() -> None:
    """Close attendance left open past the activity's end plus grace (idempotent: only open rows change)."""
    async with worker_db().session_scope() as session:
        closed = await auto_close_due(session, now=utcnow())
    if closed:
        log.info("auto-closed %d attendance records", len(closed))
