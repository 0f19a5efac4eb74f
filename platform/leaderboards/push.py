"""Keeping the Redis leaderboards in step with the ledger: absolute totals pushed after commit.

Postings note each (volunteer, period) total they changed, with the row's new version, on the
unit of work's LeaderboardPush step. A savepoint that rolls back forgets its notes; just before the
commit the volunteers' scopes (community, street, city, teams) are looked up; after the commit one
Lua call per transaction (per few thousand totals) writes
the absolute values with ZADD, skipping any total whose version Redis has already seen a newer
value of. Redelivered or late pushes therefore never make a leaderboard wrong, only never staler.

The transaction also writes a `leaderboards.push_missed` event that is not sent (its safety net): the push marks
it done, a refused push sends it at once, and if the process dies in between the outbox sweep sends it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, String, cast, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, CompoundSelect

from servicebank.kernel import redis_clients
from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import insert_events, mark_processed, publish_now
from servicebank.kernel.unit_of_work import AfterCommit, unit_of_work
from servicebank.leaderboards.retention import kept_in_redis, oldest_kept_month
from servicebank.org.models import Community
from servicebank.volunteers.models import TeamMember, Volunteer

log = logging.getLogger(__name__)

KEY_PREFIX = "sb:lb:"
VERSION_PREFIX = "sb:lbv:"
# Named anew when the key names changed (scopes hash-tagged for Redis Cluster): Redis holding boards under
# the old names has no such marker, so the periodic check rebuilds them under the new ones and drops the old.
BUILT_MARKER = "sb:lb:built:tagged"
# Set (with an expiry) while a rebuild is queued or running, so only one runs at a time.
REBUILD_REQUESTED = "sb:lb:rebuild_requested"
# A running rebuild renews its claim (and its "alive" mark below) every REBUILD_HEARTBEAT_SECONDS for
# REBUILD_CLAIM_SECONDS: a rebuild whose process is killed frees the claim within a minute, and the
# periodic check starts another.
REBUILD_CLAIM_SECONDS = 60
REBUILD_HEARTBEAT_SECONDS = 15
# A queued rebuild holds the claim this long: a request lost with its message (a worker killed, Redis
# restarted) lets the periodic check take over within minutes, not after the running claim's ten.
REBUILD_QUEUED_SECONDS = 120
# Rebuilds under way, by staging prefix. A rebuild swaps in boards read from one snapshot of the totals;
# a push made meanwhile lands on the live keys the swap replaces. So each push also notes its
# (period, volunteer) in every running rebuild's "touched" set, and the rebuild pushes those totals
# again, read fresh, after its swap. "<prefix>alive" expires if the rebuild's process dies; the touched
# set lives REBUILD_TOUCHED_SECONDS after its last note, longer than any rebuild.
REBUILDS_RUNNING = "sb:lbr:running"
REBUILD_TOUCHED_SECONDS = 7200
# Members are inverted, zero-padded ids: equal scores then list the smaller volunteer id first.
MEMBER_BASE = 10**12
MEMBER_WIDTH = 13

_PUSH_SCRIPT = """
local touched = {}
for _, prefix in ipairs(redis.call('SMEMBERS', 'sb:lbr:running')) do
  if redis.call('EXISTS', prefix .. 'alive') == 1 then table.insert(touched, prefix .. 'touched')
  else redis.call('SREM', 'sb:lbr:running', prefix) end
end
local i = 1
local done = 0
while i <= #ARGV do
  local period, vid, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  for _, key in ipairs(touched) do redis.call('SADD', key, period .. '|' .. vid) end
  local version, minutes, points = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
  local nscopes = tonumber(ARGV[i + 6])
  local vkey = 'sb:lbv:' .. period
  local seen = redis.call('HGET', vkey, vid)
  local fresh = (not seen) or tonumber(seen) <= version
  if fresh then
    redis.call('HSET', vkey, vid, version)
    done = done + 1
  end
  for s = 1, nscopes do
    if fresh then
      local base = 'sb:lb:' .. period .. ':{' .. ARGV[i + 6 + s] .. '}'
      if minutes > 0 then redis.call('ZADD', base .. ':hours', minutes, member)
      else redis.call('ZREM', base .. ':hours', member) end
      if points > 0 then redis.call('ZADD', base .. ':points', points, member)
      else redis.call('ZREM', base .. ':points', member) end
    end
  end
  i = i + 7 + nscopes
end
for _, key in ipairs(touched) do redis.call('EXPIRE', key, {alive}) end
return done
""".replace("{alive}", str(REBUILD_TOUCHED_SECONDS))

_clients: dict[str, Any] = {}


def member_for(volunteer_id: int) -> str:
    """The sorted-set member naming a volunteer."""
    return f"{MEMBER_BASE - volunteer_id:0{MEMBER_WIDTH}d}"


def member_sql(volunteer_id: ColumnElement[int]) -> ColumnElement[str]:
    """`member_for` as a PostgreSQL expression: the same zero-padded text."""
    return func.lpad(cast(literal(MEMBER_BASE, BigInteger) - volunteer_id, String), MEMBER_WIDTH, "0")


def volunteer_for(member: bytes | str) -> int:
    """The volunteer id a sorted-set member names."""
    return MEMBER_BASE - int(member)


def board_key(period: str, scope: str, by: str) -> str:
    """The key of a board; the scope in {braces} is its hash tag, so on a Redis Cluster every board of a scope
    (all periods, hours and points) is in one slot, where one Lua call can write them (cluster.py)."""
    return f"{KEY_PREFIX}{period}:{{{scope}}}:{by}"


def board_scope(key: str) -> str:
    """The scope of a board key ("sb:lb:2026-11:{community:12}:hours" -> "community:12"); scopes hold ":".

    Keys named before the hash tags ("sb:lb:2026-11:community:12:hours") are read too, so a rebuild can
    tell which scope's they were when it drops them.
    """
    if "{" in key:
        return key[key.index("{") + 1:key.rindex("}")]
    _, _, rest = key[len(KEY_PREFIX):].partition(":")
    return rest.rpartition(":")[0]


def sync_client(url: str | None) -> Any:
    """A process-wide synchronous Redis (or Redis Cluster) client for after-commit pushes."""
    if not url:
        raise RuntimeError("The leaderboards need Redis: set SERVICEBANK_REDIS_URL.")
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis_clients.sync_client(url, socket_timeout=5)
    return client


def _redis_url(session: Session | AsyncSession) -> str | None:
    db = session.info.get("db")
    return getattr(getattr(db, "settings", None), "redis_url", None)


def drop_aged_months(latest: dict[tuple[int, str], Any], settings: Any) -> dict[tuple[int, str], Any]:
    """The totals whose period Redis still keeps (retention.py).

    A late correction to a month Redis no longer keeps must not recreate that month's boards with
    only the corrected volunteers in them: its readers go to SQL, which has the correction.
    """
    if settings is None:
        return latest
    oldest = oldest_kept_month(settings)
    return {key: value for key, value in latest.items() if kept_in_redis(key[1], oldest)}


def scope_rows(volunteer_ids: Sequence[int] | None = None) -> CompoundSelect:
    """(volunteer_id, scope) for every leaderboard a volunteer ranks in: city, community, street and each team.

    The one definition of the scopes: the pushes, `ledger verify` and both ways of rebuilding read it.
    """
    placed = select(Volunteer.id, Volunteer.community_id, Community.street_id).join(
        Community, Community.id == Volunteer.community_id)
    teams = select(TeamMember.volunteer_id, "team:" + cast(TeamMember.team_id, String))
    if volunteer_ids is not None:
        placed = placed.where(Volunteer.id.in_(volunteer_ids))
        teams = teams.where(TeamMember.volunteer_id.in_(volunteer_ids))
    place = placed.cte("place")  # each volunteer is looked up once, then named in three scopes
    return union_all(
        select(place.c.id.label("volunteer_id"), literal("city").label("scope")),
        select(place.c.id, "community:" + cast(place.c.community_id, String)),
        select(place.c.id, "street:" + cast(place.c.street_id, String)).where(place.c.street_id.is_not(None)),
        teams,
    )


def scopes_of(session: Session, volunteer_ids: list[int]) -> dict[int, list[str]]:
    """Every leaderboard scope of each volunteer (see scope_rows)."""
    scopes: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(volunteer_ids), 1000):
        for vid, scope in session.execute(scope_rows(volunteer_ids[start:start + 1000])).all():
            scopes[vid].append(scope)
    return scopes


def push_args(latest: dict[tuple[int, str], tuple[int, int, int]], scopes: dict[int, list[str]]) -> list[Any]:
    """The flat argument list of the push script."""
    args: list[Any] = []
    for (vid, period), (version, minutes, points) in latest.items():
        own = scopes.get(vid, [])
        args += [period, vid, member_for(vid), version, minutes, points, len(own), *own]
    return args


def run_push(client: Any, args: list[Any]) -> None:
    """Send the push script in slices small enough for one call each (on a cluster: per slot, cluster.py)."""
    if redis_clients.is_cluster(client):
        from servicebank.leaderboards.cluster import push_per_slot

        push_per_slot(client, args)
        return
    step = 4000
    start = 0
    while start < len(args):
        # Slice on record boundaries: each record is 7 fixed fields plus its scopes.
        end = start
        while end < len(args) and end - start < step:
            end += 7 + int(args[end + 6])
        client.eval(_PUSH_SCRIPT, 0, *args[start:end])
        start = end


# A push Redis refused after its commit: {"pairs": [[volunteer_id, period], ...]}, pushed again from the kept totals.
PUSH_MISSED = "leaderboards.push_missed"
Change = tuple[tuple[int, str], tuple[int, int, int]]  # (volunteer, period) -> (version, minutes, points)


class LeaderboardPush(AfterCommit):
    """The leaderboard totals a transaction changed, pushed to Redis once it has committed."""

    args: list[Any] | None = None
    net_event_id: int = 0

    async def prepare(self) -> None:
        url = _redis_url(self.session)
        if not self.items or not url:
            return
        latest: dict[tuple[int, str], tuple[int, int, int]] = {}
        for key, value in self.items:
            if key not in latest or latest[key][0] <= value[0]:
                latest[key] = value
        latest = drop_aged_months(latest, getattr(self.session.info.get("db"), "settings", None))
        if not latest:
            return
        volunteer_ids = sorted({vid for vid, _ in latest})
        scopes = await self.session.run_sync(scopes_of, volunteer_ids)
        self.args = push_args(latest, scopes)
        # The safety net, in the transaction: a PUSH_MISSED event not sent now. The push below marks it done;
        # a process killed between the commit and that mark leaves it to the outbox sweep, which sends it, and
        # leaderboards/events.py pushes the pairs' current totals. A board that stayed marked built would
        # otherwise stay a change behind for good.
        payload = {"pairs": [[vid, period] for vid, period in sorted(latest)]}
        (self.net_event_id,) = await insert_events(self.session, [(PUSH_MISSED, payload)], now=utcnow(),
                                                   publish=False)

    async def run(self) -> None:
        url = _redis_url(self.session)
        if not self.args or not url:
            return
        try:
            # In a thread: a batch's push takes a while (thousands of ZADDs), and the event loop it
            # would block serves the other requests or actors of this process meanwhile.
            await asyncio.to_thread(run_push, sync_client(url), self.args)
        except Exception:  # noqa: BLE001 - committed totals are the truth: the push is sent again (below)
            log.warning("could not push leaderboard totals to Redis; its safety net sends it again", exc_info=True)
            # Sent now rather than at the sweep; its handler retries with the outbox's backoff.
            publish_now(self.session.info.get("db"), [self.net_event_id])
            return
        await self._net_done()

    async def _net_done(self) -> None:
        db = self.session.info.get("db")
        if db is None:
            return
        try:
            async with db.session_scope() as session:
                await mark_processed(session, [self.net_event_id])
        except Exception:  # noqa: BLE001 - left unmarked, the sweep sends it: one more push of the same totals
            log.warning("could not mark the leaderboard push done; the sweep will push it again", exc_info=True)


def remember_changes(session: AsyncSession, changes: list[Change]) -> None:
    """Note changed (volunteer, period) -> (version, minutes, points) totals for the push after commit."""
    unit_of_work(session).step(LeaderboardPush).note(*changes)
