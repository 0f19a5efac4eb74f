"""Reminders before an activity: the day before (`activity.reminder`) and an hour before
(`activity.starting_soon`), one event per confirmed volunteer, each activity once per lead.

An activity that comes within the hour before its day-before reminder went (posted or joined late) gets the hour's
reminder only: two messages about the same start minutes apart would be noise. The notifications domain decides
who hears on which channel (a text for volunteers no browser of theirs takes push for).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities import repository as repo
from servicebank.activities.models import Activity, ActivityStatus, SignupStatus
from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import record_event

REMINDER_LEAD = dt.timedelta(hours=24)
HOUR_LEAD = dt.timedelta(hours=1)


async def _due(session: AsyncSession, *, sent_column, lead: dt.timedelta, now: dt.datetime,  # noqa: ANN001
               limit: int) -> list[Activity]:
    query = (select(Activity)
             .where(Activity.status == ActivityStatus.PUBLISHED, sent_column.is_(None),
                    Activity.starts_at > now, Activity.starts_at <= now + lead)
             .order_by(Activity.starts_at).limit(limit).with_for_update(skip_locked=True))
    return list((await session.scalars(query)).all())


async def _remind(session: AsyncSession, activity: Activity, event_type: str) -> int:
    signups = await repo.signups_of(session, activity.id, statuses=[SignupStatus.CONFIRMED])
    for signup in signups:
        await record_event(session, event_type, {"activity_id": activity.id, "volunteer_id": signup.volunteer_id})
    return len(signups)


async def send_due_reminders(session: AsyncSession, *, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Record the reminders that are due (the hour's first); returns how many events were recorded."""
    now = now or utcnow()
    sent = 0
    for activity in await _due(session, sent_column=Activity.hour_reminder_sent_at, lead=HOUR_LEAD, now=now,
                               limit=limit):
        activity.hour_reminder_sent_at = now
        activity.reminder_sent_at = activity.reminder_sent_at or now  # no day-before reminder after this one
        sent += await _remind(session, activity, "activity.starting_soon")
    for activity in await _due(session, sent_column=Activity.reminder_sent_at, lead=REMINDER_LEAD, now=now,
                               limit=limit):
        activity.reminder_sent_at = now
        sent += await _remind(session, activity, "activity.reminder")
    await session.flush()
    return sent
