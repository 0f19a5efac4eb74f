"""Reading attendance records: an activity's (for its staff), a volunteer's service record, who did not come.

The one front door for reading them: the API routes and the pages both call these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.checkins import repository as repo
from servicebank.checkins import review_repository
from servicebank.checkins.access import staff_activity


async def of_activity(session: AsyncSession, *, principal: Principal, activity_id: int,
                      status: str | None = None) -> Sequence[Row[Any]]:
    """(attendance, volunteer name, volunteer number) of the activity in check-in order; its staff only."""
    await staff_activity(session, activity_id=activity_id, principal=principal)
    return await repo.list_for_activity(session, activity_id=activity_id, status=status)


async def service_record(session: AsyncSession, *, volunteer_id: int, limit: int) -> Sequence[Row[Any]]:
    """(attendance, activity title) of a volunteer, newest first; the caller has decided who may read it."""
    return await repo.volunteer_history(session, volunteer_id=volunteer_id, limit=limit)


async def no_show_candidates(session: AsyncSession, *, activity_id: int) -> list[tuple[int, str, str]]:
    """(volunteer id, name, number) of those confirmed who have no attendance record at all."""
    return await review_repository.confirmed_without_record(session, activity_id=activity_id)


async def attendee_name(session: AsyncSession, *, activity_id: int, attendance_id: int) -> str | None:
    """Who one record of the activity is for (a 代签 flash names them)."""
    return await review_repository.attendee_name(session, activity_id=activity_id, attendance_id=attendance_id)
