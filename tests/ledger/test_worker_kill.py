"""A worker killed (SIGKILL) in the middle of a batch loses no event and applies none twice after restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from servicebank.checkins.models import Attendance
from servicebank.kernel.db import Database
from servicebank.kernel.events import OutboxEvent
from servicebank.ledger.models import Account, AccountKind, HoursRule, Transaction
from servicebank.ledger.verify import verify
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import START, make_activity

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 3000
PER_MESSAGE = 100


def _start_worker(db: Database) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_DATABASE_URL=db.settings.database_url, SERVICEBANK_REDIS_URL=db.settings.redis_url or "",
               SERVICEBANK_SECRET_KEY=db.settings.secret_key, SERVICEBANK_DATA_KEY=db.settings.data_key or "")
    return subprocess.Popen([sys.executable, "-m", "dramatiq", "servicebank.workers.tasks", "-p", "1", "-t", "4"],
                            cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _send(db: Database, ids: list[int]) -> None:
    """Put dispatch messages on the Redis queue, as the API's after-commit publisher (or the sweep) does."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=db.settings.redis_url)
    broker.declare_queue("events")
    for start in range(0, len(ids), PER_MESSAGE):
        broker.enqueue(dramatiq.Message(queue_name="events", actor_name="events.dispatch",
                                        args=(ids[start:start + PER_MESSAGE],), kwargs={}, options={}))
    broker.close()


async def _processed(db: Database) -> int:
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.type == "attendance.approved", OutboxEvent.processed_at.is_not(None))) or 0)


async def _wait(db: Database, predicate, limit_s: float) -> int:  # noqa: ANN001
    deadline = time.monotonic() + limit_s
    while True:
        done = await _processed(db)
        if predicate(done) or time.monotonic() > deadline:
            return done
        await asyncio.sleep(0.02)


@pytest.mark.slow
@pytest.mark.postgres_only
async def test_sigkill_mid_batch_then_restart_posts_every_event_exactly_once(db: Database, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    # No daily cap: every one of the 120 same-day attendances of a volunteer counts in full.
    session.add(HoursRule(kind="*", daily_cap_minutes=None))
    volunteers = [await make_volunteer(session, org.community) for _ in range(50)]
    activities = [await make_activity(session, org.community) for _ in range(EVENTS // 50)]
    async with db.session_scope() as s:
        rows = [{"activity_id": a.id, "volunteer_id": v.id, "community_id": org.community.id, "status": "approved",
                 "served_minutes": 60, "service_date": START.date(), "revision": 1, "checked_in_at": START,
                 "flags": []} for a in activities for v in volunteers]
        ids = (await s.execute(insert(Attendance).returning(Attendance.id), rows)).scalars().all()
        events = (await s.execute(insert(OutboxEvent).returning(OutboxEvent.id), [
            {"type": "attendance.approved", "payload": {"attendance_id": i, "revision": 1}} for i in ids])).scalars().all()
    event_ids = sorted(events)
    worker = _start_worker(db)
    try:
        _send(db, event_ids)
        done = await _wait(db, lambda n: n > 0, 120)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
        assert 0 < done, "the worker never got going"
        killed_at = await _processed(db)
        assert killed_at < EVENTS, "every event was done before the kill; the test proved nothing"
        # The restarted worker gets the leftover events from the sweep (re-sends everything unprocessed).
        worker = _start_worker(db)
        async with db.session_scope() as s:
            pending = list((await s.scalars(select(OutboxEvent.id).where(OutboxEvent.processed_at.is_(None)))).all())
        assert pending, "the kill left nothing to do"
        _send(db, pending)
        # And the original messages again, as the broker redelivers unacknowledged ones: no effect.
        _send(db, event_ids[:PER_MESSAGE * 2])
        final = await _wait(db, lambda n: n >= EVENTS, 300)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
    assert final == EVENTS
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count()).select_from(Transaction)) == EVENTS
        balances = (await s.scalars(select(Account.balance).where(Account.kind == AccountKind.VOLUNTEER))).all()
    assert sorted(set(balances)) == [60 * len(activities)]
    report = await verify(db)
    assert report.ok, report.as_dict()
