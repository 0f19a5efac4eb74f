"""Insured participations (参保服务人次) for the 台账: the period's approved attendances whose volunteer had their own
insurance cover, or whose activity had a group policy, valid on the day of the service (records' `insurance_cover`).

The same approved attendance the 台账's participations count (repository.attendance_figures): one figure for the page,
the API and the downloads, read from the records alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.records.models import InsuranceCover
from servicebank.reports.periods import Period


def _covered_by(holder):  # noqa: ANN001, ANN202 - a SQL condition
    return exists().where(holder, InsuranceCover.valid_from <= Attendance.service_date,
                          InsuranceCover.valid_until >= Attendance.service_date)


async def insured_participations(session: AsyncSession, community_ids: list[int],
                                 periods: Sequence[Period]) -> list[int]:
    """How many of each period's approved attendances of these communities were insured on their day, in one
    statement (the report stays a fixed handful of statements however many periods it compares)."""
    if not community_ids or not periods:
        return [0] * len(periods)
    covered = or_(_covered_by(InsuranceCover.volunteer_id == Attendance.volunteer_id),
                  _covered_by(InsuranceCover.activity_id == Attendance.activity_id))
    within = [(Attendance.service_date >= p.start) & (Attendance.service_date < p.end) for p in periods]
    row = (await session.execute(
        select(*(func.count().filter(w) for w in within)).select_from(Attendance)
        .where(Attendance.status == AttendanceStatus.APPROVED, Attendance.community_id.in_(community_ids),
               or_(*within), covered))).one()
    return [int(n or 0) for n in row]
