"""Queries of the 代签 lookup: the volunteers a staff member may sign in, found by name, phone ending or number."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.checkins.models import Attendance
from servicebank.volunteers.models import TeamMember, Volunteer, VolunteerStatus


def _like_escaped(term: str) -> str:
    # What a leader types is text, not a pattern: a "%" or "_" in it must not match everything.
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def matching_volunteers(session: AsyncSession, *, community_id: int, term: str | None,
                              volunteer_id: int | None, team_ids: Iterable[int] | None,
                              limit: int) -> list[Volunteer]:
    """Active volunteers of the community matching part of the name or number, or the phone's last 4 digits;
    with team_ids, only members of those teams."""
    query = select(Volunteer).where(Volunteer.community_id == community_id,
                                    Volunteer.status == VolunteerStatus.ACTIVE)
    if volunteer_id is not None:
        query = query.where(Volunteer.id == volunteer_id)
    if term:
        like = f"%{_like_escaped(term)}%"
        clauses = [Volunteer.real_name.like(like, escape="\\"), Volunteer.number.like(like, escape="\\")]
        if len(term) == 4 and term.isdigit():
            clauses.append(Volunteer.phone.like(f"%{term}"))
        query = query.where(or_(*clauses))
    if team_ids is not None:
        query = query.where(Volunteer.id.in_(
            select(TeamMember.volunteer_id).where(TeamMember.team_id.in_(list(team_ids)))))
    rows = await session.scalars(query.order_by(Volunteer.real_name, Volunteer.id).limit(limit))
    return list(rows.all())


async def attendance_statuses(session: AsyncSession, *, activity_id: int,
                              volunteer_ids: Iterable[int]) -> dict[int, str]:
    """volunteer id -> the status of their record at the activity, for those who have one."""
    ids = list(volunteer_ids)
    if not ids:
        return {}
    rows = await session.execute(select(Attendance.volunteer_id, Attendance.status)
                                 .where(Attendance.activity_id == activity_id, Attendance.volunteer_id.in_(ids)))
    return {int(v): str(s) for v, s in rows.all()}
