"""When a text may go out: quiet hours in the install's time zone, and per-phone limits counted in the database.

A text that may not go now is delayed (its `not_before` moves), never dropped: quiet hours end at 08:00, a full
window ends at its next minute, hour or day. Urgent kinds ignore quiet hours but never the limits.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.dialect import upsert
from servicebank.notifications.models import SmsRateCount
from servicebank.sms_settings import SmsSettings


def quiet_until(now: dt.datetime, sms: SmsSettings, timezone: str) -> dt.datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None when texts may go now."""
    quiet = sms.quiet
    if quiet is None:
        return None
    start, end = quiet
    local = now.astimezone(ZoneInfo(timezone))
    t = local.timetz().replace(tzinfo=None)
    inside = (t >= start or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo).astimezone(dt.UTC)


def _windows(now: dt.datetime, sms: SmsSettings, timezone: str) -> list[tuple[str, dt.datetime, dt.datetime, int]]:
    """(name, start, end, limit) of the minute, hour and local day `now` is in."""
    minute = now.replace(second=0, microsecond=0)
    hour = minute.replace(minute=0)
    local = now.astimezone(ZoneInfo(timezone))
    midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=local.tzinfo)
    next_midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=local.tzinfo)
    return [("minute", minute, minute + dt.timedelta(minutes=1), sms.per_minute),
            ("hour", hour, hour + dt.timedelta(hours=1), sms.per_hour),
            ("day", midnight.astimezone(dt.UTC), next_midnight.astimezone(dt.UTC), sms.per_day)]


async def take_slot(session: AsyncSession, *, phone: str, now: dt.datetime, sms: SmsSettings,
                    timezone: str) -> dt.datetime | None:
    """Count one text to `phone` in every window; None when taken, else when the fullest window ends (nothing
    counted then). Each count is one `INSERT … ON CONFLICT DO UPDATE … WHERE count < limit`: the row lock makes a
    concurrent sender to the same number wait, then see the new count."""
    full_until: dt.datetime | None = None
    async with session.begin_nested() as savepoint:
        for name, start, end, limit in _windows(now, sms, timezone):
            statement = upsert(session, SmsRateCount).values(phone=phone, window=name, window_start=start, count=1)
            statement = statement.on_conflict_do_update(
                index_elements=["phone", "window", "window_start"], set_={"count": SmsRateCount.count + 1},
                where=SmsRateCount.count < limit).returning(SmsRateCount.count)
            if (await session.execute(statement)).scalar() is None:
                full_until = max(full_until or end, end)
        if full_until is not None:
            await savepoint.rollback()
    return full_until


async def forget_old_counts(session: AsyncSession, *, now: dt.datetime) -> None:
    """Windows that ended long ago count for nothing."""
    await session.execute(delete(SmsRateCount).where(SmsRateCount.window_start < now - dt.timedelta(days=2)))
