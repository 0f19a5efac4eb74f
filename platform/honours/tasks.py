"""Dramatiq actors: the monthly honour lists (first day of the month, for the month before)."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import dramatiq

from servicebank.honours.generation import generate_month
from servicebank.reports.periods import previous_month
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import monthly

log = logging.getLogger(__name__)

monthly("honours-monthly", "honours.generate_monthly", day=1)


async def generate_previous_month(db, *, today: dt.date | None = None) -> dict[str, object]:  # noqa: ANN001
    """Draft every community's and street's list for the month before `today` (local)."""
    timezone = db.settings.timezone
    today = today or dt.datetime.now(ZoneInfo(timezone)).date()
    month = previous_month(today).label
    async with db.session_scope() as session:
        result = await generate_month(session, month=month, timezone=timezone)
    log.info("honour lists for %s: %s", month, result.as_dict())
    return result.as_dict()


@dramatiq.actor(actor_name="honours.generate_monthly", max_retries=3, time_limit=30 * 60 * 1000)
async def generate_monthly() -> None:
    """Idempotent: drafts are regenerated identically, published lists are left alone."""
    await generate_previous_month(worker_db())
