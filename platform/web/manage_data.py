"""Figures for the organiser's dashboard: this month's hours, active volunteers, upcoming activities, kinds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity, ActivityStatus
from servicebank.errors import Forbidden, NotFound
from servicebank.org.models import Community
from servicebank.points import community_totals


async def managed_communities(session: AsyncSession, principal: Principal) -> list[Community]:
    """The communities the caller manages (every community for platform admins)."""
    query = select(Community).order_by(Community.name)
    if principal.managed_community_ids is not None:
        ids = set(principal.managed_community_ids) | set(principal.led_team_community_ids)
        query = query.where(Community.id.in_(ids))
    return list((await session.scalars(query)).all())


async def community_by_id(session: AsyncSession, community_id: int) -> Community:
    """The community (callers have checked access already)."""
    community = await session.get(Community, community_id)
    if community is None:
        raise NotFound("No such community.", code="community_not_found")
    return community


async def pick_community(session: AsyncSession, principal: Principal, community_id: int | None) -> tuple[
        Community, list[Community]]:
    """The community asked for (or the first one the caller works in), with the caller's list to switch."""
    choices = await managed_communities(session, principal)
    if not choices:
        # A clerk or a volunteer who opens /manage: say whose pages these are (the error page links their own).
        raise Forbidden("This part is for community staff.", code="community_staff_only")
    chosen = next((c for c in choices if c.id == community_id), choices[0])
    principal.require_staff(chosen.id)
    return chosen, choices


async def dashboard_figures(session: AsyncSession, *, community_id: int,
                            months: list[str]) -> tuple[int, int, list[tuple[str, float]]]:
    """(minutes served, volunteers who served) in the last of `months`, and the hours of each month for the chart.

    Read from the community's kept period totals (six rows), not summed over its volunteers per request.
    """
    figures = await community_totals.for_community(session, community_id, months)
    minutes, _, active = figures.get(months[-1], (0, 0, 0))
    return minutes, active, [(m[5:], round(figures.get(m, (0, 0, 0))[0] / 60, 1)) for m in months]


async def activities_by_kind(session: AsyncSession, *, community_id: int, since: dt.datetime) -> list[tuple[str, int]]:
    """How many activities of each kind started since `since` (drafts and cancelled ones left out)."""
    rows = await session.execute(
        select(Activity.kind, func.count()).where(
            Activity.community_id == community_id, Activity.starts_at >= since,
            Activity.status.notin_((ActivityStatus.DRAFT, ActivityStatus.CANCELLED)))
        .group_by(Activity.kind).order_by(func.count().desc()))
    return [(kind, int(n)) for kind, n in rows.all()]


async def community_activities(session: AsyncSession, *, community_id: int, since: dt.datetime,
                               limit: int = 50) -> list[Activity]:
    """The community's activities that end after `since` (drafts included), soonest first."""
    query = (select(Activity).where(Activity.community_id == community_id, Activity.ends_at >= since)
             .order_by(Activity.starts_at).limit(limit))
    return list((await session.scalars(query)).all())


def last_months(today: dt.date, count: int) -> list[str]:
    """The labels ("2026-11") of the last `count` months, oldest first."""
    labels = []
    year, month = today.year, today.month
    for _ in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return labels[::-1]
