"""A push that Redis refuses after its commit is not lost: it is recorded as an outbox event and pushed again from
the kept totals once Redis takes writes again, so a board that stayed marked built catches up (a cluster refuses
every slot while one master is down, so a refused push could not even unmark its scopes)."""

from __future__ import annotations

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
        assert [e.payload["pairs"] for e in missed][0] and all(e.processed_at is None for e in missed)
    finally:
        client.config_set("min-replicas-to-write", 0)
    await settle(db)  # the outbox sends the missed push again
    assert client.zscore(board, member_for(volunteer.id)) == 90
    report = await verify(db)
    assert report.ok and report.leaderboards == "ok", report.as_dict()
