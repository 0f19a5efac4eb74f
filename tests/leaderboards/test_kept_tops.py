"""The top of a board is kept a second per process for own-rank reads (leaderboards/service.py): the rank is
always current, the top beside it at most `public_read_cache_seconds` old, and the viewer's own name unmasked."""

from __future__ import annotations

import pytest

from servicebank.kernel import kept as short_memories
from servicebank.kernel.db import Database
from servicebank.leaderboards import service
from servicebank.leaderboards.service import leaderboard_view
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import attend, make_activity, settle
from tests.public_cache import Clock, settings  # noqa: F401 - the cache on in this module


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(short_memories, "monotonic", clock)
    return clock


async def test_the_rank_is_current_and_the_top_at_most_a_second_old(db: Database, session, clock: Clock) -> None:
    org = await make_org(session)
    first = await make_volunteer(session, org.community, name="王秀英")
    second = await make_volunteer(session, org.community, name="李建国", public_consent=False)
    climber = await make_volunteer(session, org.community, name="张伟")
    activity = await make_activity(session, org.community)
    for volunteer, minutes in ((first, 120), (second, 90), (climber, 30)):
        await attend(session, activity, volunteer, minutes=minutes)
    await settle(db)
    scope = f"community:{org.community.id}"

    async def view(viewer) -> service.LeaderboardOut:  # noqa: ANN001
        return await leaderboard_view(session, scope=scope, period="2026-11", by="hours", limit=2,
                                      volunteer_id=viewer.id, viewer_volunteer_id=viewer.id, keep_top=True)

    board = await view(first)
    assert [(r.rank, r.name) for r in board.rows] == [(1, "王秀英"), (2, "匿名志愿者")]  # own name unmasked
    assert (board.me.rank, board.me.name) == (1, "王秀英")

    await attend(session, await make_activity(session, org.community), climber, minutes=240)  # now first
    await settle(db)
    clock.now += 0.5
    board = await view(climber)
    assert (board.me.rank, board.me.minutes, board.me.name) == (1, 270, "张伟")  # the rank is current
    assert [(r.rank, r.name) for r in board.rows] == [(1, "王*英"), (2, "匿名志愿者")]  # the kept top, masked
    board = await view(first)
    assert (board.me.rank, board.rows[0].name) == (2, "王秀英")  # the kept rows are not changed by other viewers

    clock.now += 0.6
    board = await view(second)
    assert [(r.rank, r.volunteer_id, r.name) for r in board.rows] == [(1, climber.id, "张*"), (2, first.id, "王*英")]
    assert (board.me.rank, board.me.name) == (3, "李建国")  # their own name, though hidden from others


async def test_each_board_and_length_is_kept_apart(db: Database, session, clock: Clock) -> None:
    org = await make_org(session)
    people = [await make_volunteer(session, org.community) for _ in range(3)]
    activity = await make_activity(session, org.community)
    for volunteer, minutes in zip(people, (90, 60, 30), strict=True):
        await attend(session, activity, volunteer, minutes=minutes)
    await settle(db)
    scope = f"community:{org.community.id}"
    for limit in (1, 3):
        board = await leaderboard_view(session, scope=scope, period="2026-11", by="hours", limit=limit,
                                       volunteer_id=people[2].id, viewer_volunteer_id=people[2].id,
                                       keep_top=True)
        assert len(board.rows) == limit and board.me.rank == 3
    city = await leaderboard_view(session, scope="city", period="2026-11", by="points", limit=3,
                                  volunteer_id=None, viewer_volunteer_id=None, keep_top=True)
    assert [r.volunteer_id for r in city.rows] == [p.id for p in people] and city.me is None


async def test_a_caller_that_keeps_its_answer_reads_the_top_fresh(db: Database, session, clock: Clock) -> None:
    """The anonymous board keeps its whole answer a second (edge/public_reads.py): a kept top under it would
    make it up to two seconds old."""
    org = await make_org(session)
    first, second = [await make_volunteer(session, org.community) for _ in range(2)]
    activity = await make_activity(session, org.community)
    await attend(session, activity, first, minutes=60)
    await settle(db)
    scope = f"community:{org.community.id}"
    for keep_top in (True, False):
        await leaderboard_view(session, scope=scope, period="2026-11", by="hours", limit=5, volunteer_id=first.id,
                               viewer_volunteer_id=first.id, keep_top=keep_top)
    await attend(session, activity, second, minutes=90)
    await settle(db)
    fresh = await leaderboard_view(session, scope=scope, period="2026-11", by="hours", limit=5, volunteer_id=None,
                                   viewer_volunteer_id=None)
    assert [r.volunteer_id for r in fresh.rows] == [second.id, first.id]
    kept = await leaderboard_view(session, scope=scope, period="2026-11", by="hours", limit=5, volunteer_id=None,
                                  viewer_volunteer_id=None, keep_top=True)
    assert [r.volunteer_id for r in kept.rows] == [first.id]
