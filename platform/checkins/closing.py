"""Closing attendance nobody closed: after the activity's end plus grace, and when an activity is cancelled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.checkins import repository as repo
from servicebank.checkins import rules
from servicebank.checkins.models import AttendanceFlag, AttendanceStatus
from servicebank.checkins.review import record_change, state


async def _close(session: AsyncSession, *, attendance_id: int, closed_at: dt.datetime, flag: str, action: str,
                 reason: str, now: dt.datetime) -> bool:
    att = await repo.get_attendance(session, attendance_id, for_update=True)
    if att is None or att.status != AttendanceStatus.CHECKED_IN:
        return False  # the volunteer checked out meanwhile, or another run closed it
    activity = await repo.activity_of_record(session, att.activity_id)
    before = state(att)
    assert att.checked_in_at is not None, "a CHECKED_IN record has its check-in time"
    checked_in_at = rules.aware(att.checked_in_at)
    att.checked_out_at = max(closed_at, checked_in_at)
    att.served_minutes = rules.served_minutes(checked_in_at=checked_in_at, checked_out_at=att.checked_out_at,
                                              starts_at=rules.aware(activity.starts_at),
                                              ends_at=rules.aware(activity.ends_at))
    att.status = AttendanceStatus.AUTO_CLOSED
    att.flags = [*(att.flags or []), *([AttendanceFlag.AUTO_CLOSED] if flag != AttendanceFlag.AUTO_CLOSED else []),
                 flag]
    await record_change(session, att, actor=None, action=action, before=before, reason=reason, event_type=None,
                        now=now, decided=False)
    return True


async def auto_close_due(session: AsyncSession, *, now: dt.datetime, limit: int = 500) -> list[int]:
    """Close attendances still open after their activity's end plus grace; they wait for the organiser."""
    closed: list[int] = []
    for row in await repo.open_past_grace(session, now=now, limit=limit):
        ends_at = rules.aware(row.ends_at)
        if now < ends_at + dt.timedelta(minutes=row.grace):
            continue
        if await _close(session, attendance_id=row.id, closed_at=ends_at, flag=AttendanceFlag.AUTO_CLOSED,
                        action="auto_close", reason="Not checked out by the end of the activity plus grace.",
                        now=now):
            closed.append(row.id)
    return closed


async def close_for_cancelled_activity(session: AsyncSession, *, activity_id: int, now: dt.datetime) -> list[int]:
    """Close open attendance of a cancelled activity, flagged, so the organiser decides what counts."""
    activity = await repo.get_activity(session, activity_id)
    if activity is None:
        return []
    closed_at = min(now, rules.aware(activity.ends_at))
    closed: list[int] = []
    for attendance_id in await repo.open_for_activity(session, activity_id=activity_id):
        if await _close(session, attendance_id=attendance_id, closed_at=closed_at,
                        flag=AttendanceFlag.ACTIVITY_CANCELLED, action="activity_cancelled",
                        reason="The activity was cancelled while the volunteer was checked in.", now=now):
            closed.append(attendance_id)
    return closed
