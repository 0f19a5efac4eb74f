"""How each line of a volunteer's account came about, in terms a person can check: which activity, how many
minutes were recorded and how many counted (the daily cap can cut them), how many points followed.

The ledger's memo stays the auditors' note ("attendance #10 rev 1: …"); people see these facts instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance
from servicebank.ledger.models import AttendancePosting, PeriodTotal, ServiceCredit
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ServiceLine:
    """What one ledger transaction credited for the volunteer's service."""

    activity_title: str
    minutes: int


@dataclass(frozen=True)
class Counted:
    """What an attendance record finally counts for in the account (after rules and the daily cap)."""

    minutes: int
    points: int


async def service_lines(session: AsyncSession, *, volunteer_id: int,
                        transaction_ids: Sequence[int]) -> dict[int, ServiceLine]:
    """transaction id -> the activity and minutes it credited, for the service transactions among them."""
    if not transaction_ids:
        return {}
    rows = await session.execute(
        select(ServiceCredit.transaction_id, func.sum(ServiceCredit.minutes), func.max(Activity.title))
        .join(Attendance, Attendance.id == ServiceCredit.attendance_id)
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(ServiceCredit.volunteer_id == volunteer_id, ServiceCredit.transaction_id.in_(list(transaction_ids)))
        .group_by(ServiceCredit.transaction_id))
    return {int(t): ServiceLine(activity_title=title, minutes=int(m or 0)) for t, m, title in rows.all()}


async def counted(session: AsyncSession, *, attendance_ids: Sequence[int]) -> dict[int, Counted]:
    """attendance id -> minutes and points it counts for now; records not yet posted are absent."""
    if not attendance_ids:
        return {}
    rows = await session.execute(
        select(AttendancePosting.attendance_id, AttendancePosting.minutes, AttendancePosting.points)
        .where(AttendancePosting.attendance_id.in_(list(attendance_ids))))
    return {int(a): Counted(minutes=int(m), points=int(p)) for a, m, p in rows.all()}


async def minutes_by_period(session: AsyncSession, *, volunteer_id: int, periods: Sequence[str]) -> dict[str, int]:
    """period ("2026-11") -> minutes the volunteer's account counts for it; periods without service are absent."""
    rows = await session.execute(select(PeriodTotal.period, PeriodTotal.minutes).where(
        PeriodTotal.volunteer_id == volunteer_id, PeriodTotal.period.in_(list(periods))))
    return {str(period): int(minutes) for period, minutes in rows.all()}
