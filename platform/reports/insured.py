"""Insured participations (参保服务人次) for the 台账: the period's approved attendances whose volunteer had their own
insurance cover, or whose activity had a group policy, valid on the day of the service (records' `insurance_cover`).

The same approved attendance the 台账's participations count (repository.attendance_figures): one figure for the page,
the API and the downloads, read from the records alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.kernel import direct
from servicebank.records.models import InsuranceCover
from servicebank.reports.periods import Period


def _covered_by(holder):  # noqa: ANN001, ANN202 - a SQL condition
    return exists().where(holder, InsuranceCover.valid_from <= Attendance.service_date,
                          InsuranceCover.valid_until >= Attendance.service_date)


@cache
def _statement(periods: int, array: bool) -> Any:  # noqa: ANN401
    """One count per period, each over its own index range of the scope's attendance (start_0/end_0, ...).

    One count over every period at once (`service_date` in any of them) made PostgreSQL read the scope's whole
    attendance history and test each row's cover: 10 ms of the replica's CPU per 台账 at city size, where the
    two month ranges take 1-2 (bench/reads_notes.md)."""
    covered = or_(_covered_by(InsuranceCover.volunteer_id == Attendance.volunteer_id),
                  _covered_by(InsuranceCover.activity_id == Attendance.activity_id))
    day = Attendance.service_date.type
    counts = [select(func.count()).select_from(Attendance)
              .where(Attendance.status == AttendanceStatus.APPROVED,
                     direct.among_ids(Attendance.community_id, "communities", array=array),
                     Attendance.service_date >= bindparam(f"start_{i}", type_=day),
                     Attendance.service_date < bindparam(f"end_{i}", type_=day), covered)
              .scalar_subquery() for i in range(periods)]
    return select(*counts)


async def insured_participations(session: AsyncSession, community_ids: list[int],
                                 periods: Sequence[Period]) -> list[int]:
    """How many of each period's approved attendances of these communities were insured on their day, in one
    statement (the report stays a fixed handful of statements however many periods it compares)."""
    if not community_ids or not periods:
        return [0] * len(periods)
    values: dict[str, Any] = {"communities": community_ids}
    for i, period in enumerate(periods):
        values[f"start_{i}"], values[f"end_{i}"] = period.start, period.end
    (row,) = await direct.read(session, _statement(len(periods), direct.sends_direct(session)), values)
    return [int(n or 0) for n in row]
