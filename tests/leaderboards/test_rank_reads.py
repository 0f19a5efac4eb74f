"""Own-rank reads asked in one turn of the event loop share one Redis call per board (leaderboards/rank_reads.py),
and answer exactly what one call per request would."""

from __future__ import annotations

import asyncio

import pytest
import redis.exceptions

from servicebank.kernel.db import Database
from servicebank.kernel.redis_clients import async_client, loop_client
from servicebank.leaderboards.push import BUILT_MARKER, board_key, member_for
from servicebank.leaderboards.rank_reads import RankReads
from servicebank.leaderboards.repository import RedisLeaderboards, SqlLeaderboards, read_board
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import attend, make_activity, settle

pytestmark = pytest.mark.postgres_only


async def _script_calls(db: Database) -> int:
    client = loop_client(db.settings.redis_url)
    stats = await client.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


async def _ranked_community(db: Database, session) -> tuple:  # noqa: ANN001
    org = await make_org(session)
    people = [await make_volunteer(session, org.community) for _ in range(5)]
    activity = await make_activity(session, org.community)
    # 120, 60, 60 (a tie), 30, and the fifth never served (not ranked).
    for volunteer, minutes in zip(people, (120, 60, 60, 30), strict=False):
        await attend(session, activity, volunteer, minutes=minutes)
    other = await make_volunteer(session, org.other)
    await attend(session, await make_activity(session, org.other), other, minutes=45)
    await settle(db)
    return org, people, other


async def test_ranks_asked_together_are_one_call_per_board_with_the_same_answers(db: Database, session) -> None:
    org, people, other = await _ranked_community(db, session)
    board = RedisLeaderboards(loop_client(db.settings.redis_url))
    scope, other_scope = f"community:{org.community.id}", f"community:{org.other.id}"
    # One call first, so the script is loaded and the count below holds only the coalesced calls.
    await board.rank_of(session, scope=scope, period="2026-11", by="hours", volunteer_id=people[0].id)

    before = await _script_calls(db)
    answers = await asyncio.gather(
        *(board.rank_of(session, scope=scope, period="2026-11", by=by, volunteer_id=v.id)
          for by in ("hours", "points") for v in people),
        board.rank_of(session, scope=other_scope, period="2026-11", by="hours", volunteer_id=other.id))
    assert await _script_calls(db) - before == 3  # two rankings of one community, one of another

    sql = SqlLeaderboards()
    expected = [await sql.rank_of(session, scope=scope, period="2026-11", by=by, volunteer_id=v.id)
                for by in ("hours", "points") for v in people]
    expected.append(await sql.rank_of(session, scope=other_scope, period="2026-11", by="hours", volunteer_id=other.id))
    assert answers == expected
    assert [a.rank if a else None for a in answers[:5]] == [1, 2, 2, 4, None]


async def test_a_lone_rank_is_not_kept_waiting_for_company(db: Database, session) -> None:
    org, people, _ = await _ranked_community(db, session)
    board = RedisLeaderboards(loop_client(db.settings.redis_url))
    mine = await asyncio.wait_for(board.rank_of(session, scope=f"community:{org.community.id}", period="2026-11",
                                                by="hours", volunteer_id=people[3].id), timeout=5)
    assert mine is not None and (mine.rank, mine.minutes) == (4, 30)


async def test_a_request_that_goes_away_leaves_the_others_their_answers(db: Database, session) -> None:
    org, people, _ = await _ranked_community(db, session)
    reads = RankReads(loop_client(db.settings.redis_url))
    keys = (board_key("2026-11", f"community:{org.community.id}", "hours"),
            board_key("2026-11", f"community:{org.community.id}", "points"), BUILT_MARKER)
    asks = [asyncio.ensure_future(reads.rank(keys, member_for(v.id))) for v in people[:3]]
    await asyncio.sleep(0)  # the three are waiting for the end of the turn
    asks[1].cancel()
    first, gone, third = await asyncio.gather(*asks, return_exceptions=True)
    assert isinstance(gone, asyncio.CancelledError)
    assert first[1][0] == 0 and third[1][0] == 1  # members ahead of each: none, one


async def test_when_redis_fails_every_waiting_request_gets_the_error(db: Database) -> None:
    # Nothing listens on port 1: the one call fails, and each request of it sees why.
    reads = RankReads(async_client("redis://127.0.0.1:1/0", socket_connect_timeout=2))
    keys = ("a", "b", "c")
    answers = await asyncio.gather(*(reads.rank(keys, str(i)) for i in range(3)), return_exceptions=True)
    assert all(isinstance(a, redis.exceptions.ConnectionError) for a in answers)


async def test_own_rank_reads_sql_when_redis_is_gone(db: Database, session) -> None:
    org, people, _ = await _ranked_community(db, session)
    scope = f"community:{org.community.id}"
    await loop_client(db.settings.redis_url).flushdb()  # a Redis restarted empty: not built
    top, mine = await read_board(session, scope=scope, period="2026-11", by="hours", limit=0,
                                 volunteer_id=people[2].id)
    assert top == [] and mine is not None and mine.rank == 2
