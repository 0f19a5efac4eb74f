"""Reminders before a resident request's visit: the day before (`request.visit_reminder`) and the hour before
(`request.visit_soon`), each accepted request once per lead.

The visit is the start of the first preferred window not yet over when the request was accepted or assigned
(`ServiceRequest.visit_at`, set by dispatch.py). As for activities (activities/reminders.py), a visit that comes
within the hour before its day-before reminder went (accepted late) gets the hour's reminder only. Who hears, on
which channel, is the events consumer's and the notifications domain's business (requests/events.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import record_event
from servicebank.requests import repository
from servicebank.requests.models import ServiceRequest

DAY_LEAD = dt.timedelta(hours=24)
HOUR_LEAD = dt.timedelta(hours=1)


def _windows(time_windows: Sequence[Any]) -> list[tuple[dt.datetime, dt.datetime]]:
    return sorted((dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)) for start, end in time_windows)


def visit_start(time_windows: Sequence[Any], now: dt.datetime) -> dt.datetime | None:
    """The start of the first preferred window that is not over yet (None when all are)."""
    return next((start for start, end in _windows(time_windows) if end > now), None)


def visit_window(request: ServiceRequest) -> tuple[dt.datetime, dt.datetime] | None:
    """The preferred window the visit falls in (start, end), for the reminder's text."""
    if request.visit_at is None:
        return None
    return next(((start, end) for start, end in _windows(request.time_windows) if start == request.visit_at), None)


async def send_due_reminders(session: AsyncSession, *, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Record the visit reminders that are due (the hour's first); returns how many events were recorded."""
    now = now or utcnow()
    sent = 0
    for request in await repository.visits_due(session, sent_column=ServiceRequest.hour_reminder_sent_at,
                                               lead=HOUR_LEAD, now=now, limit=limit):
        request.hour_reminder_sent_at = now
        request.reminder_sent_at = request.reminder_sent_at or now  # no day-before reminder after this one
        await record_event(session, "request.visit_soon", {"request_id": request.id,
                                                           "volunteer_id": request.volunteer_id})
        sent += 1
    for request in await repository.visits_due(session, sent_column=ServiceRequest.reminder_sent_at,
                                               lead=DAY_LEAD, now=now, limit=limit):
        request.reminder_sent_at = now
        await record_event(session, "request.visit_reminder", {"request_id": request.id,
                                                               "volunteer_id": request.volunteer_id})
        sent += 1
    await session.flush()
    return sent
