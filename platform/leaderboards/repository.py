"""Leaderboards by period and scope: Redis sorted sets in production, SQL in the embedded default.

Both order by the chosen total (service minutes or points earned) descending, then by volunteer id
ascending, so ties always come out the same way; volunteers with nothing in the period are not ranked.
Equal totals share a rank (并列同名次, standard competition ranking "1, 1, 3"), the same rule as the
honour lists: a volunteer's rank is one more than the number of volunteers with a larger total.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Protocol

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel import redis_clients
from servicebank.kernel.errors import InvalidInput
from servicebank.kernel.kept import one_per
from servicebank.leaderboards.cluster import scope_built_key
from servicebank.leaderboards.push import (
    BUILT_MARKER,
    REBUILD_QUEUED_SECONDS,
    REBUILD_REQUESTED,
    board_key,
    member_for,
    volunteer_for,
)
from servicebank.leaderboards.rank_reads import rank_reads
from servicebank.leaderboards.retention import kept_in_redis, oldest_kept_month
from servicebank.ledger.levels import is_period
from servicebank.ledger.models import PeriodTotal
from servicebank.org.models import Community
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


def competition_ranks(values: list[int]) -> list[int]:
    """Ranks for totals sorted from the top: equal totals share the first rank of their run (1, 1, 3)."""
    ranks: list[int] = []
    for i, value in enumerate(values):
        ranks.append(ranks[-1] if i and value == values[i - 1] else i + 1)
    return ranks


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
        rows = (await session.execute(query.order_by(value.desc(), PeriodTotal.volunteer_id).limit(limit))).all()
        ranks = competition_ranks([m if by == "hours" else p for _, m, p in rows])
        return [Ranked(rank, vid, m, p) for rank, (vid, m, p) in zip(ranks, rows, strict=True)]

    async def rank_of(self, session: AsyncSession, *, scope: str, period: str, by: str,
                      volunteer_id: int) -> Ranked | None:
        query, value = self._base(scope, period, by)
        mine = (await session.execute(query.where(PeriodTotal.volunteer_id == volunteer_id))).first()
        if mine is None:
            return None
        _, minutes, points = mine
        own = minutes if by == "hours" else points
        ahead = query.where(value > own)
        count = await session.scalar(select(func.count()).select_from(ahead.subquery()))
        return Ranked(int(count or 0) + 1, volunteer_id, minutes, points)




# One round trip for a whole board read: whether the boards are built, the top `limit` members with
# their scores on the ranked board and on the other one, and optionally one member's rank and scores.
# A limit of 0 reads no top at all (ZREVRANGE 0 -1 would be the whole board): own rank alone.
# The member's rank counts the members with a strictly larger score (ZCOUNT "(score" .. +inf), so ties
# share a rank; ZREVRANK would give each of them a different one.
# (Three to five separate commands used to cost more Python and loopback time than Redis's work.)
_READ_SCRIPT = """
local built = redis.call('EXISTS', KEYS[3])
local top = {}
if tonumber(ARGV[1]) > 0 then top = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES') end
local members = {}
for i = 1, #top, 2 do members[#members + 1] = top[i] end
local other = {}
if #members > 0 then other = redis.call('ZMSCORE', KEYS[2], unpack(members)) end
local mine = {}
if ARGV[2] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
  if score then
    local ahead = redis.call('ZCOUNT', KEYS[1], '(' .. score, '+inf')
    mine = {ahead, score, redis.call('ZSCORE', KEYS[2], ARGV[2]) or '0'}
  end
end
return {built, top, other, mine}
"""


class RedisLeaderboards:
    """Ranks from sorted sets kept up to date after each commit (see push.py)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        # EVALSHA, loading the script again by itself after a Redis restart.
        self._script = one_per(client, "leaderboard_read_script", lambda c: c.register_script(_READ_SCRIPT))
        # On a cluster the boards and the mark that they are built must share the scope's slot (cluster.py).
        self._cluster = redis_clients.is_cluster(client)

    async def read(self, *, scope: str, period: str, by: str, limit: int,
                   volunteer_id: int | None) -> tuple[bool, list[Ranked], Ranked | None]:
        """(boards built, the top `limit`, the volunteer's own rank or None), in one call."""
        other = "points" if by == "hours" else "hours"
        keys = (board_key(period, scope, by), board_key(period, scope, other),
                scope_built_key(scope) if self._cluster else BUILT_MARKER)
        if limit == 0 and volunteer_id is not None:
            # Own rank alone (the top kept by service.leaderboard_view): coalesced with the others of this turn.
            built, mine = await rank_reads(self.client).rank(keys, member_for(volunteer_id))
            top, other_scores = [], []
        else:
            built, top, other_scores, mine = await self._script(
                keys=list(keys), args=[limit, member_for(volunteer_id) if volunteer_id is not None else ""])

        def ranked(rank: int, vid: int, score: Any, other_score: Any) -> Ranked:
            value, other_value = int(float(score)), int(float(other_score or 0))
            minutes, points = (value, other_value) if by == "hours" else (other_value, value)
            return Ranked(rank, vid, minutes, points)

        ranks = competition_ranks([int(float(top[2 * i + 1])) for i in range(len(other_scores))])
        rows = [ranked(ranks[i], volunteer_for(top[2 * i]), top[2 * i + 1], other_score)
                for i, other_score in enumerate(other_scores)]
        own = ranked(int(mine[0]) + 1, volunteer_id, mine[1], mine[2]) if mine and volunteer_id is not None else None
        return bool(built), rows, own

    async def top(self, session: AsyncSession, *, scope: str, period: str, by: str, limit: int) -> list[Ranked]:
        return (await self.read(scope=scope, period=period, by=by, limit=limit, volunteer_id=None))[1]

    async def rank_of(self, session: AsyncSession, *, scope: str, period: str, by: str,
                      volunteer_id: int) -> Ranked | None:
        return (await self.read(scope=scope, period=period, by=by, limit=0, volunteer_id=volunteer_id))[2]


async def read_board(session: AsyncSession, *, scope: str, period: str, by: str, limit: int,
                     volunteer_id: int | None) -> tuple[list[Ranked], Ranked | None]:
    """The top of a board and, with `volunteer_id`, that volunteer's rank; `limit=0` reads the rank alone.

    Redis when configured and built (one call); SQL otherwise, while Redis is being rebuilt after a restart,
    and for a month older than the months Redis keeps (retention.py): the same ranking and ties either way.
    """
    settings = getattr(session.info.get("db"), "settings", None)
    url = getattr(settings, "redis_url", None)
    if settings is not None and url and kept_in_redis(period, oldest_kept_month(settings)):
        client = redis_clients.loop_client(url)
        try:
            built, top, mine = await RedisLeaderboards(client).read(scope=scope, period=period, by=by, limit=limit,
                                                                    volunteer_id=volunteer_id)
        except Exception:  # noqa: BLE001 - a Redis outage degrades to SQL reads, never to an error page
            built = None
        if built:
            return top, mine
        if built is False and not redis_clients.is_cluster(client):
            # On a cluster the scheduler's check (every 30 s) rebuilds just the scopes not built: a scope
            # new since the last rebuild, or those of a master that restarted empty. Not all of them.
            await _request_rebuild(client)
    sql = SqlLeaderboards()
    top = await sql.top(session, scope=scope, period=period, by=by, limit=limit) if limit else []
    mine = None
    if volunteer_id is not None:
        mine = await sql.rank_of(session, scope=scope, period=period, by=by, volunteer_id=volunteer_id)
    return top, mine


async def _request_rebuild(client: Any) -> None:
    # One rebuild at a time: the first reader to notice the empty Redis queues it.
    if await client.set(REBUILD_REQUESTED, "1", nx=True, ex=REBUILD_QUEUED_SECONDS):
        try:
            # Imported on first send: declaring the actors configures the process's broker (workers/broker.py),
            # which a process that only reads boards has no other reason to do.
            from servicebank.leaderboards.tasks import rebuild_leaderboards

            rebuild_leaderboards.send()
        except Exception:  # noqa: BLE001 - readers keep using SQL; the CLI rebuild still works
            await client.delete(REBUILD_REQUESTED)
