"""Queries of training activities attended (records/training_activities.py): the attendance with its activity, the
training record made of it, and the community's training rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.kinds import TRAINING_KINDS
from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import among
from servicebank.kernel.dialect import upsert
from servicebank.records.models import TrainingRecord, TrainingRule
from servicebank.volunteers.models import Volunteer


@dataclasses.dataclass(frozen=True)
class Attended:
    attendance_id: int
    volunteer_id: int
    approved: bool
    served_minutes: int
    service_date: dt.date
    activity_id: int
    community_id: int
    kind: str
    title: str
    override: dict | None
    paid_service: bool


async def attended_trainings(session: AsyncSession, attendance_ids: Sequence[int]) -> dict[int, Attended]:
    """Those of these attendances that are at a training activity, as the training record needs them, by id."""
    rows = (await session.execute(
        select(Attendance.id, Attendance.volunteer_id, Attendance.status, Attendance.served_minutes,
               Attendance.service_date, Activity.id, Activity.community_id, Activity.kind, Activity.title,
               Activity.hours_rule_override, Volunteer.paid_service)
        .join(Activity, Activity.id == Attendance.activity_id).join(Volunteer, Volunteer.id == Attendance.volunteer_id)
        .where(among(session, Attendance.id, attendance_ids), Activity.kind.in_(sorted(TRAINING_KINDS))))).all()
    return {aid: Attended(aid, vid, status == AttendanceStatus.APPROVED, int(served or 0), day, activity_id,
                          community_id, kind, title, override, bool(paid))
            for aid, vid, status, served, day, activity_id, community_id, kind, title, override, paid in rows}


async def earns_points(session: AsyncSession, community_id: int) -> bool:
    """The community's training rule (default: training earns no points)."""
    rule = await session.get(TrainingRule, community_id)
    return bool(rule and rule.earns_points)


async def locked_record(session: AsyncSession, attended: Attended, minutes: int) -> TrainingRecord | None:
    """The attendance's training record, locked; made now if it has none and there is something to record."""
    stmt = select(TrainingRecord).where(TrainingRecord.attendance_id == attended.attendance_id).with_for_update()
    row = await session.scalar(stmt)
    if row is not None or minutes == 0:
        return row
    # Two deliveries of the same event at once meet on the unique attendance_id: one insert, both then lock it.
    await session.execute(upsert(session, TrainingRecord).values(
        volunteer_id=attended.volunteer_id, community_id=attended.community_id,
        category=TRAINING_KINDS[attended.kind], title=attended.title[:200], provider="",
        trained_on=attended.service_date, minutes=minutes, attendance_id=attended.attendance_id,
        activity_id=attended.activity_id, posted_points=0, created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["attendance_id"]))
    return await session.scalar(stmt.execution_options(populate_existing=True))
