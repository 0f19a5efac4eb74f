"""Queries of correction requests: the request under lock, the record it is about, the lists people read."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance
from servicebank.records.models import CorrectionStatus, ServiceClaim, ServiceCorrection
from servicebank.volunteers.models import Volunteer


async def lock_correction(session: AsyncSession, correction_id: int) -> ServiceCorrection | None:
    """The request, its row held until commit: two organisers deciding at once take turns."""
    return await session.scalar(select(ServiceCorrection).where(ServiceCorrection.id == correction_id)
                                .with_for_update().execution_options(populate_existing=True))


async def pending_for(session: AsyncSession, *, attendance_id: int | None, claim_id: int | None) -> int | None:
    """The id of the record's correction request still waiting, if any."""
    target = (ServiceCorrection.attendance_id == attendance_id if attendance_id is not None
              else ServiceCorrection.claim_id == claim_id)
    return await session.scalar(select(ServiceCorrection.id).where(target,
                                                                   ServiceCorrection.status == CorrectionStatus.PENDING))


async def attendance(session: AsyncSession, attendance_id: int) -> Attendance | None:
    return await session.get(Attendance, attendance_id)


async def claim(session: AsyncSession, claim_id: int) -> ServiceClaim | None:
    return await session.get(ServiceClaim, claim_id)


async def activity(session: AsyncSession, activity_id: int) -> Activity | None:
    return await session.get(Activity, activity_id)


async def listed(session: AsyncSession, *, volunteer_id: int | None = None, community_id: int | None = None,
                 correction_id: int | None = None, limit: int = 100) -> Sequence[tuple[ServiceCorrection, str, str, str | None]]:
    """(request, volunteer's name, the record's title, the corrected activity's title), newest first."""
    record_activity, new_activity = aliased(Activity), aliased(Activity)
    query = (select(ServiceCorrection, Volunteer.real_name, record_activity.title, ServiceClaim.place,
                    new_activity.title)
             .join(Volunteer, Volunteer.id == ServiceCorrection.volunteer_id)
             .outerjoin(Attendance, Attendance.id == ServiceCorrection.attendance_id)
             .outerjoin(ServiceClaim, ServiceClaim.id == ServiceCorrection.claim_id)
             .outerjoin(record_activity,
                        record_activity.id == func.coalesce(Attendance.activity_id, ServiceClaim.activity_id))
             .outerjoin(new_activity, new_activity.id == ServiceCorrection.activity_id)
             .order_by(ServiceCorrection.id.desc()).limit(limit))
    if volunteer_id is not None:
        query = query.where(ServiceCorrection.volunteer_id == volunteer_id)
    if community_id is not None:
        query = query.where(ServiceCorrection.community_id == community_id)
    if correction_id is not None:
        query = query.where(ServiceCorrection.id == correction_id)
    return [(c, name, title or place or "", new) for c, name, title, place, new in (await session.execute(query)).all()]
