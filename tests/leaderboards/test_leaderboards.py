"""One contract for both leaderboard implementations: same ranks, ties by volunteer id, scopes, own rank."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebank.kernel.db import Database
from servicebank.kernel.errors import InvalidInput
from servicebank.kernel.redis_clients import loop_client
from servicebank.leaderboards.repository import RedisLeaderboards, SqlLeaderboards, check_query
from servicebank.leaderboards.service import leaderboard_view
from tests.factories import make_org, make_team, make_volunteer
from tests.ledger.helpers import attend, make_activity, settle


async def _implementations(db: Database) -> list:
    impls = [SqlLeaderboards()]
    if db.settings.redis_url:
        impls.append(RedisLeaderboards(loop_client(db.settings.redis_url)))
    return impls


async def test_both_implementations_rank_the_same(db: Database, session) -> None:
    org = await make_org(session)
    a, b, c = [await make_volunteer(session, org.community) for _ in range(3)]
    d = await make_volunteer(session, org.other)
    team = await make_team(session, org.community, members=[b, c])
    activity = await make_activity(session, org.community)
    other = await make_activity(session, org.other)
    await attend(session, activity, a, minutes=60)
    await attend(session, activity, b, minutes=120)
    await attend(session, activity, c, minutes=60)   # ties with a: same rank, the smaller id listed first
    await attend(session, other, d, minutes=240)
    october = await make_activity(session, org.community, starts_at=dt.datetime(2026, 10, 5, 1, tzinfo=dt.UTC))
    await attend(session, october, c, minutes=600, service_date=dt.date(2026, 10, 5))
    await settle(db)
    for impl in await _implementations(db):
        name = type(impl).__name__
        top = await impl.top(session, scope=f"community:{org.community.id}", period="2026-11", by="hours", limit=10)
        assert [(r.rank, r.volunteer_id, r.minutes) for r in top] == [(1, b.id, 120), (2, a.id, 60),
                                                                       (2, c.id, 60)], name
        year = await impl.top(session, scope=f"street:{org.street.id}", period="2026", by="points", limit=2)
        assert [r.volunteer_id for r in year] == [c.id, d.id], name
        city = await impl.top(session, scope="city", period="all", by="hours", limit=10)
        assert [r.volunteer_id for r in city] == [c.id, d.id, b.id, a.id], name
        team_board = await impl.top(session, scope=f"team:{team.id}", period="2026-11", by="hours", limit=10)
        assert [r.volunteer_id for r in team_board] == [b.id, c.id], name
        mine = await impl.rank_of(session, scope=f"community:{org.community.id}", period="2026-11", by="hours",
                                  volunteer_id=c.id)
        assert (mine.rank, mine.minutes, mine.points) == (2, 60, 60), name
        nobody = await impl.rank_of(session, scope=f"community:{org.community.id}", period="2026-10", by="hours",
                                    volunteer_id=a.id)
        assert nobody is None, name
        assert await impl.top(session, scope="city", period="2025", by="hours", limit=5) == [], name


async def test_ties_share_a_rank_like_the_honour_lists(db: Database, session) -> None:
    """Standard competition ranking (1, 1, 3) on both backends, in the top list and for one's own rank."""
    org = await make_org(session)
    first, second, third, fourth = [await make_volunteer(session, org.community) for _ in range(4)]
    activity = await make_activity(session, org.community)
    for volunteer, minutes in ((first, 120), (second, 120), (third, 60), (fourth, 30)):
        await attend(session, activity, volunteer, minutes=minutes)
    await settle(db)
    scope = f"community:{org.community.id}"
    for impl in await _implementations(db):
        name = type(impl).__name__
        top = await impl.top(session, scope=scope, period="2026-11", by="hours", limit=10)
        assert [(r.rank, r.volunteer_id) for r in top] == [(1, first.id), (1, second.id), (3, third.id),
                                                           (4, fourth.id)], name
        cut = await impl.top(session, scope=scope, period="2026-11", by="points", limit=2)
        assert [r.rank for r in cut] == [1, 1], name
        for volunteer, rank in ((first, 1), (second, 1), (third, 3), (fourth, 4)):
            mine = await impl.rank_of(session, scope=scope, period="2026-11", by="hours", volunteer_id=volunteer.id)
            assert mine.rank == rank, (name, volunteer.id)


async def test_leaderboard_view_shows_shared_ranks(db: Database, session) -> None:
    """What the page shows (Redis when built, SQL otherwise) follows the same rule."""
    org = await make_org(session)
    one, two = [await make_volunteer(session, org.community) for _ in range(2)]
    activity = await make_activity(session, org.community)
    for volunteer in (one, two):
        await attend(session, activity, volunteer, minutes=90)
    await settle(db)
    board = await leaderboard_view(session, scope=f"community:{org.community.id}", period="2026-11", by="hours",
                                   limit=10, volunteer_id=two.id, viewer_volunteer_id=two.id)
    assert [r.rank for r in board.rows] == [1, 1] and board.me is not None and board.me.rank == 1


@pytest.mark.parametrize(("scope", "period", "by", "limit", "code"), [
    ("country", "all", "hours", 10, "bad_scope"),
    ("community:x", "all", "hours", 10, "bad_scope"),
    ("city", "2026-13", "hours", 10, "bad_period"),
    ("city", "26", "hours", 10, "bad_period"),
    ("city", "all", "likes", 10, "bad_ranking"),
    ("city", "all", "hours", 0, "bad_limit"),
    ("city", "all", "hours", 501, "bad_limit"),
])
def test_bad_queries_are_refused_with_a_code(scope: str, period: str, by: str, limit: int, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_query(scope=scope, period=period, by=by, limit=limit)
    assert caught.value.code == code
