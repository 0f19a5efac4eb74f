"""Actors. Every actor takes ids, opens its own session and is idempotent (the dispatch actor: runtime.py)."""

from __future__ import annotations

import datetime as dt
import logging

import dramatiq

from servicebank import registry
from servicebank.kernel import events
from servicebank.workers.broker import broker  # noqa: F401  (must be configured before actors)
from servicebank.workers.runtime import publish_event_ids, worker_db

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name="events.sweep", queue_name="events", max_retries=0)
async def sweep() -> None:
    """Re-send events left unprocessed (lost message, broker restart, killed worker)."""
    await sweep_once()


async def sweep_once() -> int:
    """One pass of the sweep; returns how many event ids were re-sent."""
    settings = worker_db().settings
    ids = await events.pending_ids(
        worker_db(), older_than=dt.timedelta(seconds=settings.outbox_sweep_after_seconds), limit=50_000
    )
    if ids:
        log.info("outbox sweep re-sends %d events", len(ids))
        publish_event_ids(ids)
    return len(ids)


# Domain actors (their modules declare them against the broker configured above).
registry.import_tasks()
