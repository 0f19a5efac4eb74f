"""Periodic jobs of the activities domain: the status clock, reminders (day and hour before), series horizons."""

from __future__ import annotations

import logging

import dramatiq

from servicebank.activities import series, service
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name="activities.advance_statuses", queue_name="default", max_retries=0)
async def advance_statuses() -> None:
    """published → in_progress → completed as the clock passes start and end."""
    async with worker_db().session_scope() as session:
        moved = await service.advance_statuses(session)
    if any(moved.values()):
        log.info("activities moved on: %s", moved)


@dramatiq.actor(actor_name="activities.send_reminders", queue_name="default", max_retries=0)
async def send_reminders() -> None:
    """Record the reminders that are due, the day before and the hour before (each activity once per lead)."""
    async with worker_db().session_scope() as session:
        sent = await service.send_due_reminders(session)
    if sent:
        log.info("recorded %d activity reminders", sent)


@dramatiq.actor(actor_name="activities.extend_series", queue_name="default", max_retries=0)
async def extend_series() -> None:
    """Create the occurrences that came within the horizon of every active series."""
    async with worker_db().session_scope() as session:
        made = await series.extend_all(session)
    if made:
        log.info("materialised %d series occurrences", made)


every("activities-advance-statuses", "activities.advance_statuses", seconds=60)
# Every 5 minutes: the hour's reminder reaches people between 55 and 60 minutes before the start.
every("activities-send-reminders", "activities.send_reminders", seconds=300)
every("activities-extend-series", "activities.extend_series", seconds=6 * 3600)
