"""Leaderboards by period and scope: Redis sorted sets in production, SQL in the embedded default.

Both rank by the chosen total (service minutes or points earned) descending, then by volunteer id
ascending, so ties always come out the same way; volunteers with nothing in the period are not ranked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any, Protocol

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.errors import InvalidInput
from servicebank.org.models import Community
from servicebank.points.lb_push import BUILT_MARKER, board_key, member_for, volunteer_for
from servicebank.points.levels import is_period
from servicebank.points.models import PeriodTotal
from servicebank.volunteers.models import TeamMember, Volunteer

BY = ("hours", "points")
_SCOPE = re.compile(r"^(city|community:\d+|street:\d+|team:\d+)$")
MAX_LIMIT = 500


@dataclasses.dataclass(frozen=True)
class Ranked:
    rank: int
    volunteer_id: int
    minutes: int
    points: int


def check_query(*, scope: str, period: str, by: str, limit: int = 100) -> None:
    """Refuse a malformed scope, period, ranking or limit with a stable code."""
    if not _SCOPE.match(scope):
        raise InvalidInput("scope must be city, community:{id}, street:{id} or team:{id}.", code="bad_scope")
    if not is_period(period):
        raise InvalidInput('period must be a month ("2026-11"), a year ("2026") or "all".', code="bad_period")
    if by not in BY:
        raise InvalidInput("by must be hours or points.", code="bad_ranking")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be from 1 to {MAX_LIMIT}.", code="bad_limit")


class Leaderboards(Protocol):
    async def top(self, session: AsyncSession, *, scope: str, period: str, by: str, limit: int) -> list[Ranked]: ...

    async def rank_of(self, session: AsyncSession, *, scope: str, period: str, by: str,
                      volunteer_id: int) -> Ranked | None: ...


class SqlLeaderboards:
    """Ranks straight from the kept period totals."""

    def _base(self, scope: str, period: str, by: str) -> Any:
        value = PeriodTotal.minutes if by == "hours" else PeriodTotal.points
        query = select(PeriodTotal.volunteer_id, PeriodTotal.minutes, PeriodTotal.points).where(
            PeriodTotal.period == period, value > 0)
        kind, _, raw = scope.partition(":")
        if kind == "community":
            query = query.join(Volunteer, Volunteer.id == PeriodTotal.volunteer_id).where(
                Volunteer.community_id == int(raw))
        elif kind == "street":
            query = (query.join(Volunteer, Volunteer.id == PeriodTotal.volunteer_id)
                     .join(Community, Community.id == Volunteer.community_id).where(Community.street_id == int(raw)))
        elif kind == "team":
            query = query.join(TeamMember, and_(TeamMember.volunteer_id == PeriodTotal.volunteer_id,
                                                TeamMember.team_id == int(raw)))
        return query, value

    async def top(self, session: AsyncSession, *, scope: str, period: str, by: str, limit: int) -> list[Ranked]:
        query, value = self._base(scope, period, by)
        rows = await session.execute(query.order_by(value.desc(), PeriodTotal.volunteer_id).limit(limit))
        return [Ranked(i + 1, vid, m, p) for i, (vid, m, p) in enumerate(rows.all())]

    async def rank_of(self, session: AsyncSession, *, scope: str, period: str, by: str,
                      volunteer_id: int) -> Ranked | None:
        query, value = self._base(scope, period, by)
        mine = (await session.execute(query.where(PeriodTotal.volunteer_id == volunteer_id))).first()
        if mine is None:
            return None
        _, minutes, points = mine
        own = minutes if by == "hours" else points
        ahead = query.where(or_(value > own, and_(value == own, PeriodTotal.volunteer_id < volunteer_id)))
        count = await session.scalar(select(func.count()).select_from(ahead.subquery()))
        return Ranked(int(count or 0) + 1, volunteer_id, minutes, points)


_async_clients: dict[tuple[str, int], Any] = {}


def async_client(url: str) -> Any:
    """An asyncio Redis client for this event loop."""
    key = (url, id(asyncio.get_running_loop()))
    client = _async_clients.get(key)
    if client is None:
        import redis.asyncio as aioredis

        client = _async_clients[key] = aioredis.from_url(url, socket_timeout=5)
    return client


class RedisLeaderboards:
    """Ranks from sorted sets kept up to date after each commit (see lb_push)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def top(self, session: AsyncSession, *, scope: str, period: str, by: str, limit: int) -> list[Ranked]:
        hours, points = board_key(period, scope, "hours"), board_key(period, scope, "points")
        ranked = await self.client.zrevrange(board_key(period, scope, by), 0, limit - 1, withscores=True)
        if not ranked:
            return []
        other = points if by == "hours" else hours
        other_scores = await self.client.zmscore(other, [m for m, _ in ranked])
        result = []
        for i, ((member, score), other_score) in enumerate(zip(ranked, other_scores, strict=True)):
            value, other_value = int(score), int(other_score or 0)
            minutes, pts = (value, other_value) if by == "hours" else (other_value, value)
            result.append(Ranked(i + 1, volunteer_for(member), minutes, pts))
        return result

    async def rank_of(self, session: AsyncSession, *, scope: str, period: str, by: str,
                      volunteer_id: int) -> Ranked | None:
        member = member_for(volunteer_id)
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zrevrank(board_key(period, scope, by), member)
            pipe.zscore(board_key(period, scope, "hours"), member)
            pipe.zscore(board_key(period, scope, "points"), member)
            position, minutes, points = await pipe.execute()
        if position is None:
            return None
        return Ranked(int(position) + 1, volunteer_id, int(minutes or 0), int(points or 0))


async def backend_for(session: AsyncSession) -> Leaderboards:
    """Redis when configured and built; SQL otherwise (and while Redis is being rebuilt after a restart)."""
    settings = getattr(session.info.get("db"), "settings", None)
    url = getattr(settings, "redis_url", None)
    if not url:
        return SqlLeaderboards()
    client = async_client(url)
    try:
        built = await client.exists(BUILT_MARKER)
    except Exception:  # noqa: BLE001 - a Redis outage degrades to SQL reads, never to an error page
        return SqlLeaderboards()
    if not built:
        await _request_rebuild(client)
        return SqlLeaderboards()
    return RedisLeaderboards(client)


async def _request_rebuild(client: Any) -> None:
    # One rebuild at a time: the first reader to notice the empty Redis queues it.
    if await client.set("sb:lb:rebuild_requested", "1", nx=True, ex=600):
        try:
            from servicebank.points.tasks import rebuild_leaderboards

            rebuild_leaderboards.send()
        except Exception:  # noqa: BLE001 - readers keep using SQL; the CLI rebuild still works
            await client.delete("sb:lb:rebuild_requested")
