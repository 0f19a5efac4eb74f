"""Read-only queries for what anyone may see: communities, published activities, kind names."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity, ActivityKind, ActivityStatus
from servicebank.org.models import Community

PUBLIC_STATUSES = (ActivityStatus.PUBLISHED, ActivityStatus.IN_PROGRESS)


async def communities(session: AsyncSession) -> list[Community]:
    """Every community, by name."""
    return list((await session.scalars(select(Community).order_by(Community.name))).all())


async def community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def activity(session: AsyncSession, activity_id: int) -> Activity | None:
    return await session.get(Activity, activity_id)


async def upcoming(session: AsyncSession, *, community_id: int, limit: int = 30,
                   until: dt.datetime | None = None) -> list[Activity]:
    """Published activities of the community that have not ended (and start before `until`), soonest first
    (open to everyone)."""
    now = dt.datetime.now(dt.UTC)
    # Team-only activities are not public; team_ids is JSON, so it is filtered here, not in SQL.
    query = (select(Activity).where(Activity.community_id == community_id, Activity.status.in_(PUBLIC_STATUSES),
                                    Activity.ends_at > now)
             .order_by(Activity.starts_at).limit(limit * 3))
    if until is not None:
        query = query.where(Activity.starts_at < until)
    return [a for a in (await session.scalars(query)).all() if not a.team_ids][:limit]


async def kind_names(session: AsyncSession) -> dict[str, str]:
    """Kind code -> name (a community's own kind names share the built-in codes' space)."""
    rows = (await session.execute(select(ActivityKind.code, ActivityKind.name))).all()
    return {code: name for code, name in rows}
