"""Dramatiq actors of the ledger: the daily upkeep of its month partitions and closed months' checksums."""

from __future__ import annotations

import logging

import dramatiq

from servicebank.ledger.months import ensure
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

log = logging.getLogger(__name__)

# Daily: partitions are made three months ahead, so a missed day or two changes nothing.
every("ledger-partitions", "ledger.ensure_partitions", seconds=24 * 3600)


@dramatiq.actor(actor_name="ledger.ensure_partitions", queue_name="maintenance", max_retries=3,
                time_limit=60 * 60 * 1000)
async def ensure_partitions() -> None:
    """Next months' partitions and the checksums of the months that closed; idempotent."""
    result = await ensure(worker_db())
    log.info("ledger partitions: %s", result)
