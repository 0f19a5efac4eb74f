"""Periodic jobs of the records domain: noticing no-shows after activities end; qualification reminders."""

from __future__ import annotations

import logging

import dramatiq

from servicebank.records import no_shows, qualifications
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


@dramatiq.actor(actor_name="records.remind_expiring_qualifications", queue_name="default", max_retries=0)
async def remind_expiring_qualifications() -> None:
    """Record the 30-days-before-expiry reminders that are due (each certificate once per valid-until)."""
    async with worker_db().session_scope() as session:
        made = await qualifications.remind_expiring(session)
    if made:
        log.info("recorded %d qualification reminders", made)


every("records-remind-expiring-qualifications", "records.remind_expiring_qualifications", seconds=6 * 3600)
