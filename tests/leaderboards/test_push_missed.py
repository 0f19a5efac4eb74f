"""A push that Redis refuses after its commit is not lost: it is recorded as an outbox event and pushed again from
the kept totals once Redis takes writes again, so a board that stayed marked built catches up (a cluster refuses
every slot while one master is down, so a refused push could not even unmark its scopes)."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from sqlalchemy import select

from servicebank.kernel.db import Database
from servicebank.kernel.events import OutboxEvent
from servicebank.leaderboards.push import PUSH_MISSED, member_for
from servicebank.ledger.verify import verify
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import attend, make_activity, settle

pytestmark = pytest.mark.postgres_only


async def test_a_refused_push_is_pushed_again_once_redis_takes_writes(db: Database, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_volunteer(session, org.community)
    await attend(session, await make_activity(session, org.community), volunteer, minutes=60)
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    board = f"sb:lb:2026-11:{{community:{org.community.id}}}:hours"
    assert client.zscore(board, member_for(volunteer.id)) == 60
    # Redis refuses every write (as a cluster does while a master is down) but keeps its boards and built marks.
    client.config_set("min-replicas-to-write", 1)
    try:
        await attend(session, await make_activity(session, org.community), volunteer, minutes=30)
        await settle(db)  # posted and committed; its push refused, then the retry refused too
        assert client.zscore(board, member_for(volunteer.id)) == 60
        report = await verify(db)
        assert report.leaderboards == "mismatch", report.as_dict()
        async with db.session_scope() as s:
            missed = (await s.scalars(select(OutboxEvent).where(OutboxEvent.type == PUSH_MISSED))).all()
        # Each posting's push leaves a safety net in its transaction: the first push went through and marked
        # its net done; the refused one's is still to be pushed.
        assert missed[0].processed_at is not None
        assert missed[-1].payload["pairs"] and missed[-1].processed_at is None
    finally:
        client.config_set("min-replicas-to-write", 0)
    await settle(db)  # the outbox sends the missed push again
    assert client.zscore(board, member_for(volunteer.id)) == 90
    report = await verify(db)
    assert report.ok and report.leaderboards == "ok", report.as_dict()


async def test_a_push_lost_with_its_process_is_made_by_the_sweep(db: Database, session, monkeypatch) -> None:  # noqa: ANN001
    """A worker killed between the tally's commit and its push (the topology test's SIGKILL) left the board one
    change behind for good: nothing had recorded that the push was owed. The safety net written in the
    transaction stays unprocessed, the outbox sweep sends it, and its handler pushes the current totals."""
    from servicebank.kernel import events
    from servicebank.leaderboards.push import LeaderboardPush

    org = await make_org(session)
    volunteer = await make_volunteer(session, org.community)
    client = redis.Redis.from_url(db.settings.redis_url)
    board = f"sb:lb:all:{{community:{org.community.id}}}:hours"
    await attend(session, await make_activity(session, org.community), volunteer, minutes=60)
    await settle(db)
    assert client.zscore(board, member_for(volunteer.id)) == 60

    async def killed(self) -> None:  # noqa: ANN001 - the process died right after the commit
        return None

    monkeypatch.setattr(LeaderboardPush, "run", killed)
    await attend(session, await make_activity(session, org.community), volunteer, minutes=30)
    # The tally commits and "dies" before its push. The outbox still holds the safety net, unprocessed: the sweep
    # sends every such event once it is older than its wait, and `drain` here takes every pending event as the
    # sweep would.
    await events.drain(db, max_rounds=1)
    owed = await events.pending_ids(db, older_than=dt.timedelta(0), limit=10)
    async with db.session_scope() as s:
        assert [(await s.get(OutboxEvent, i)).type for i in owed] == [PUSH_MISSED]
    assert client.zscore(board, member_for(volunteer.id)) == 60  # one change behind, still marked built
    monkeypatch.undo()
    await events.process_events(db, owed)
    assert client.zscore(board, member_for(volunteer.id)) == 90
    report = await verify(db)
    assert report.ok and report.leaderboards == "ok", report.as_dict()
