"""Periodic job of the requests domain: escalate unaccepted requests, expire, close unrated ones."""

from __future__ import annotations

import logging

import dramatiq

from servicebank.requests import serving
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

log = logging.getLogger(__name__)

every("requests-periodic-check", "requests.periodic_check", seconds=60)


@dramatiq.actor(actor_name="requests.periodic_check", queue_name="default", max_retries=0)
async def periodic_check() -> None:
    """Reminders and escalation for requests nobody took, expiry, closing the rating window (idempotent)."""
    async with worker_db().session_scope() as session:
        counts = await serving.periodic_check(session)
    if any(counts.values()):
        log.info("requests moved on: %s", counts)
