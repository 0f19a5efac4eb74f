"""Builders for ledger tests: activities and attendances as the checkins domain writes them."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity, ActivityStatus
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.kernel.db import Database
from servicebank.kernel.events import drain, record_event
from servicebank.org.models import Community
from servicebank.volunteers.models import Volunteer

_seq = itertools.count(1)
START = dt.datetime(2026, 11, 3, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai


async def make_activity(session: AsyncSession, community: Community, *, kind: str = "cleanup",
                        starts_at: dt.datetime = START, hours: int = 4, override: dict | None = None) -> Activity:
    activity = Activity(community_id=community.id, kind=kind, title=f"活动{next(_seq)}", starts_at=starts_at,
                        ends_at=starts_at + dt.timedelta(hours=hours), status=ActivityStatus.PUBLISHED,
                        hours_rule_override=override)
    session.add(activity)
    await session.commit()
    return activity


async def attend(session: AsyncSession, activity: Activity, volunteer: Volunteer, *, minutes: int,
                 status: str = AttendanceStatus.APPROVED, service_date: dt.date | None = None,
                 event: str | None = "attendance.approved") -> Attendance:
    """An attendance in the given state, with the event the checkins domain would record."""
    att = Attendance(activity_id=activity.id, volunteer_id=volunteer.id, community_id=activity.community_id,
                     checked_in_at=activity.starts_at, checked_out_at=activity.starts_at + dt.timedelta(minutes=minutes),
                     status=status, served_minutes=minutes, revision=1,
                     service_date=service_date or dt.date(2026, 11, 3))
    session.add(att)
    await session.flush()
    if event:
        await record_event(session, event, {"attendance_id": att.id, "revision": att.revision})
    await session.commit()
    return att


async def decide(session: AsyncSession, att: Attendance, *, status: str, minutes: int | None = None,
                 event: str) -> None:
    """Change an attendance the way a review decision does (revision +1, event in the same transaction)."""
    att.status = status
    if minutes is not None:
        att.served_minutes = minutes
    att.revision += 1
    await record_event(session, event, {"attendance_id": att.id, "revision": att.revision})
    await session.commit()


async def settle(db: Database) -> None:
    """Run every pending event handler."""
    await drain(db)


async def earn(db: Database, session: AsyncSession, volunteer: Volunteer, minutes: int) -> None:
    """The volunteer serves `minutes` at an activity of their community, and the ledger posts it."""
    activity = await make_activity(session, await session.get(Community, volunteer.community_id))
    await attend(session, activity, volunteer, minutes=minutes)
    await settle(db)
