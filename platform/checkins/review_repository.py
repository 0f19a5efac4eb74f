"""Queries the organiser's review of an activity needs besides the records themselves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Signup, SignupStatus
from servicebank.checkins.models import Attendance
from servicebank.volunteers.models import Volunteer


async def confirmed_without_record(session: AsyncSession, *, activity_id: int) -> list[tuple[int, str, str]]:
    """(volunteer id, name, number) of those confirmed who have no attendance record at all, by name."""
    recorded = select(Attendance.volunteer_id).where(Attendance.activity_id == activity_id)
    rows = await session.execute(
        select(Volunteer.id, Volunteer.real_name, Volunteer.number).join(Signup, Signup.volunteer_id == Volunteer.id)
        .where(Signup.activity_id == activity_id, Signup.status == SignupStatus.CONFIRMED,
               Volunteer.id.notin_(recorded)).order_by(Volunteer.real_name))
    return [(int(i), str(n), str(num)) for i, n, num in rows.all()]


async def attendee_name(session: AsyncSession, *, activity_id: int, attendance_id: int) -> str | None:
    """The name on one attendance record of the activity (None when the record is not the activity's)."""
    return await session.scalar(select(Volunteer.real_name).join(Attendance, Attendance.volunteer_id == Volunteer.id)
                                .where(Attendance.id == attendance_id, Attendance.activity_id == activity_id))
