"""Periodic jobs of the records domain: noticing no-shows after activities end; qualification reminders."""

from __future__ import annotations

import logging

import dramatiq

from servicebank.records import no_shows
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name="records.mark_no_shows", queue_name="default", max_retries=0)
async def mark_no_shows() -> None:
    """Record no-shows of activities that ended (idempotent: one per sign-up)."""
    async with worker_db().session_scope() as session:
        made = await no_shows.mark_ended(session)
    if made:
        log.info("recorded %d no-shows", made)


every("records-mark-no-shows", "records.mark_no_shows", seconds=600)
