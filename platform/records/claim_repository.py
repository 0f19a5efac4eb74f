"""Queries of late claims: the claim under lock, the checks before one is taken, the lists people read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity, ActivityStatus
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.org.models import Community
from servicebank.records.models import ClaimPhoto, ClaimStatus, ServiceClaim
from servicebank.volunteers.models import Volunteer


async def lock_claim(session: AsyncSession, claim_id: int) -> ServiceClaim | None:
    """The claim, its row held until commit: two organisers deciding at once take turns."""
    return await session.scalar(select(ServiceClaim).where(ServiceClaim.id == claim_id).with_for_update()
                                .execution_options(populate_existing=True))


async def credited_attendance(session: AsyncSession, *, activity_id: int, volunteer_id: int) -> int | None:
    """The id of the volunteer's attendance at the activity if it has scans or an approval (it counts already)."""
    return await session.scalar(select(Attendance.id).where(
        Attendance.activity_id == activity_id, Attendance.volunteer_id == volunteer_id,
        or_(Attendance.checked_in_at.is_not(None), Attendance.status == AttendanceStatus.APPROVED)))


async def live_claim_for(session: AsyncSession, *, activity_id: int, volunteer_id: int) -> int | None:
    """The id of the volunteer's pending or approved claim for the activity, if any."""
    return await session.scalar(select(ServiceClaim.id).where(
        ServiceClaim.activity_id == activity_id, ServiceClaim.volunteer_id == volunteer_id,
        ServiceClaim.status != ClaimStatus.DECLINED))


async def community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def claimable_activities(session: AsyncSession, *, community_id: int, ended_after: dt.datetime,
                               now: dt.datetime) -> Sequence[Activity]:
    """The community's activities that ended recently enough to be claimed, newest first (the claim form's list)."""
    return (await session.scalars(select(Activity).where(
        Activity.community_id == community_id, Activity.ends_at > ended_after, Activity.starts_at <= now,
        Activity.status.not_in((ActivityStatus.DRAFT, ActivityStatus.PENDING_APPROVAL, ActivityStatus.CANCELLED)))
        .order_by(Activity.starts_at.desc()).limit(100))).all()


async def known_organisations(session: AsyncSession) -> Sequence[Community]:
    """The communities on the platform: the organisations a service elsewhere may be claimed under."""
    return (await session.scalars(select(Community).order_by(Community.name).limit(500))).all()


async def claims_with_names(session: AsyncSession, *, volunteer_id: int | None = None, community_id: int | None = None,
                            status: str | None = None, claim_id: int | None = None,
                            limit: int = 100) -> Sequence[tuple[ServiceClaim, str | None, str, str]]:
    """(claim, activity title, confirming community's name, volunteer's name), newest first."""
    query = (select(ServiceClaim, Activity.title, Community.name, Volunteer.real_name)
             .outerjoin(Activity, Activity.id == ServiceClaim.activity_id)
             .join(Community, Community.id == ServiceClaim.community_id)
             .join(Volunteer, Volunteer.id == ServiceClaim.volunteer_id)
             .order_by(ServiceClaim.id.desc()).limit(limit))
    if volunteer_id is not None:
        query = query.where(ServiceClaim.volunteer_id == volunteer_id)
    if community_id is not None:
        query = query.where(ServiceClaim.community_id == community_id)
    if status is not None:
        query = query.where(ServiceClaim.status == status)
    if claim_id is not None:
        query = query.where(ServiceClaim.id == claim_id)
    return [(c, t, n, v) for c, t, n, v in (await session.execute(query)).all()]


async def photos_of(session: AsyncSession, claim_ids: Sequence[int]) -> dict[int, list[ClaimPhoto]]:
    """The photos of these claims, in order, by claim."""
    out: dict[int, list[ClaimPhoto]] = {cid: [] for cid in claim_ids}
    if claim_ids:
        rows = await session.scalars(select(ClaimPhoto).where(ClaimPhoto.claim_id.in_(list(claim_ids)))
                                     .order_by(ClaimPhoto.claim_id, ClaimPhoto.position))
        for photo in rows.all():
            out[photo.claim_id].append(photo)
    return out


async def photo(session: AsyncSession, *, claim_id: int, position: int) -> ClaimPhoto | None:
    return await session.scalar(select(ClaimPhoto).where(ClaimPhoto.claim_id == claim_id,
                                                         ClaimPhoto.position == position))
