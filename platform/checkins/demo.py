"""Demo attendance: approved records of past activities (so the ledger has hours), one awaiting review, one
auto-closed, and a check-in policy with a geofence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.activities.models import Activity, ActivityStatus
from servicebank.checkins.models import (
    Attendance,
    AttendanceAdjustment,
    AttendanceFlag,
    AttendanceStatus,
    CheckinPolicy,
)
from servicebank.checkins.review import state
from servicebank.checkins.rules import aware, served_minutes, service_date
from servicebank.config import get_settings
from servicebank.kernel.events import record_event


async def _past_activities(session: AsyncSession, community_id: int, now: dt.datetime) -> list[Activity]:
    found = list((await session.scalars(
        select(Activity).where(Activity.community_id == community_id, Activity.ends_at < now,
                               Activity.status != ActivityStatus.CANCELLED)
        .order_by(Activity.starts_at.desc()).limit(2))).all())
    if found:
        return found
    # Without the activities demo there is nothing to attend; one past activity keeps this demo useful.
    start = (now - dt.timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
    activity = Activity(community_id=community_id, kind="cleanup", title="楼道环境清洁", address="和谐社区3号楼",
                        starts_at=start, ends_at=start + dt.timedelta(hours=2), status=ActivityStatus.COMPLETED,
                        latitude=39.9042, longitude=116.4074)
    session.add(activity)
    await session.flush()
    return [activity]


async def seed(session: AsyncSession, ctx: Any) -> None:
    """Add attendance for the first volunteers of the demo community."""
    now = dt.datetime.now(dt.UTC)
    community = ctx.values["community"]
    volunteers = ctx.values["volunteers"][:8]
    organiser = await session.scalar(select(User).where(User.username == "organiser"))
    timezone = get_settings().timezone
    made: list[Attendance] = []
    for activity in await _past_activities(session, community.id, now):
        starts_at, ends_at = aware(activity.starts_at), aware(activity.ends_at)
        session.add(CheckinPolicy(activity_id=activity.id, radius_m=300, geofence_mode="flag"))
        for i, volunteer in enumerate(volunteers):
            checked_in = starts_at - dt.timedelta(minutes=10) + dt.timedelta(minutes=7 * i)
            checked_out = ends_at + dt.timedelta(minutes=5) - dt.timedelta(minutes=11 * (i % 3))
            att = Attendance(activity_id=activity.id, volunteer_id=volunteer.id, community_id=community.id,
                             checked_in_at=checked_in, checked_out_at=checked_out,
                             status=AttendanceStatus.CHECKED_OUT, flags=[], created_at=checked_in,
                             served_minutes=served_minutes(checked_in_at=checked_in, checked_out_at=checked_out,
                                                           starts_at=starts_at, ends_at=ends_at),
                             service_date=service_date(starts_at, timezone))
            if i == len(volunteers) - 1:  # forgot to check out: closed by the scheduler, waits for review
                att.checked_out_at = ends_at
                att.status = AttendanceStatus.AUTO_CLOSED
                att.flags = [AttendanceFlag.AUTO_CLOSED]
            session.add(att)
            made.append(att)
        await session.flush()
    for att in made[:-2]:  # the last two stay for the organiser to review
        if att.status != AttendanceStatus.CHECKED_OUT:
            continue
        before = state(att)
        att.status = AttendanceStatus.APPROVED
        att.revision = 1
        att.decided_by_user_id = organiser.id if organiser else None
        att.decided_at = now
        session.add(AttendanceAdjustment(attendance_id=att.id, at=now, action="approve", before=before,
                                         after=state(att), revision=1, reason="demo data",
                                         actor_user_id=att.decided_by_user_id,
                                         actor_name=organiser.display_name if organiser else None))
        await record_event(session, "attendance.approved", {"attendance_id": att.id, "revision": 1})
    await session.flush()
