"""Trainings held as activities of a training kind (通用/专业/岗前培训): attending one makes a training record (培训情况)
with its hours instead of service hours, and earns points only when the community's training rule says so.

A consumer of the attendance events the ledger's tally also reads (approved, adjusted, declined, corrected). Like the
tally it reads the attendance's current state, so the order of events does not matter and a re-delivered event
changes nothing: one record per attendance (unique `attendance_id`, insert … ON CONFLICT DO NOTHING, then the row
locked), and points posted only as the difference from what the record says is posted, under a source key naming
the event (`training:{attendance id}:event:{event id}`), through the ledger's exactly-once posting (post_many).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.kinds import TRAINING_KINDS
from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.kernel.dialect import upsert
from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.ledger.accounts import account_ids
from servicebank.ledger.models import AccountKind
from servicebank.ledger.posting import Posting, post_many
from servicebank.ledger.rules import load_rules, rule_for
from servicebank.records.models import TrainingRecord, TrainingRule
from servicebank.volunteers.models import Volunteer

ATTENDANCE_EVENTS = ("attendance.approved", "attendance.adjusted", "attendance.declined", "attendance.corrected")
TRANSACTION_KIND = "training_points"
MAX_MINUTES = 24 * 60


@dataclasses.dataclass(frozen=True)
class _Attended:
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


async def _attended(session: AsyncSession, attendance_id: int) -> _Attended | None:
    row = (await session.execute(
        select(Attendance.id, Attendance.volunteer_id, Attendance.status, Attendance.served_minutes,
               Attendance.service_date, Activity.id, Activity.community_id, Activity.kind, Activity.title,
               Activity.hours_rule_override, Volunteer.paid_service)
        .join(Activity, Activity.id == Attendance.activity_id).join(Volunteer, Volunteer.id == Attendance.volunteer_id)
        .where(Attendance.id == attendance_id))).one_or_none()
    if row is None:
        return None
    aid, vid, status, served, day, activity_id, community_id, kind, title, override, paid = row
    return _Attended(aid, vid, status == AttendanceStatus.APPROVED, int(served or 0), day, activity_id, community_id,
                     kind, title, override, bool(paid))


async def earns_points(session: AsyncSession, community_id: int) -> bool:
    """The community's training rule (default: training earns no points)."""
    rule = await session.get(TrainingRule, community_id)
    return bool(rule and rule.earns_points)


async def _record_row(session: AsyncSession, attended: _Attended, minutes: int) -> TrainingRecord | None:
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
        activity_id=attended.activity_id, posted_points=0, created_at=dt.datetime.now(dt.UTC),
    ).on_conflict_do_nothing(index_elements=["attendance_id"]))
    return await session.scalar(stmt.execution_options(populate_existing=True))


@subscribe(*ATTENDANCE_EVENTS)
async def record_training(session: AsyncSession, event: OutboxEvent) -> None:
    """Bring the attendance's training record (and its points) in line with the attendance, if it is a training."""
    if event.payload.get("attendance_id") is None:
        return
    attended = await _attended(session, int(event.payload["attendance_id"]))
    if attended is None or attended.kind not in TRAINING_KINDS:
        return
    await load_rules(session, {(attended.community_id, attended.kind)})
    rule = rule_for(session, community_id=attended.community_id, kind=attended.kind, override=attended.override)
    # Nothing is deleted: a declined training keeps its record with no minutes (and its points taken back).
    minutes = min(rule.minutes_for(attended.served_minutes), MAX_MINUTES) if attended.approved else 0
    row = await _record_row(session, attended, minutes)
    if row is None:
        return
    row.minutes, row.trained_on = minutes, attended.service_date
    points = rule.points_for(minutes, paid_service=attended.paid_service) \
        if minutes and await earns_points(session, attended.community_id) else 0
    change = points - row.posted_points
    if change:
        accounts = await account_ids(session, [(AccountKind.VOLUNTEER, attended.volunteer_id),
                                               (AccountKind.COMMUNITY, attended.community_id)])
        await post_many(session, [Posting(
            source_key=f"training:{attended.attendance_id}:event:{event.id}", kind=TRANSACTION_KIND,
            memo=f"training, attendance #{attended.attendance_id}: {minutes} min, {points} pts",
            entries=[(accounts[(AccountKind.VOLUNTEER, attended.volunteer_id)], change),
                     (accounts[(AccountKind.COMMUNITY, attended.community_id)], -change)])])
        row.posted_points = points
    await session.flush()
