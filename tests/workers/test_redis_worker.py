"""The production path: events published to Redis, handled by real `dramatiq` worker processes,
surviving a SIGKILL mid-batch: none lost, none applied twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func, select

from servicebank.config import Settings
from servicebank.kernel import events
from servicebank.kernel.db import Database
from servicebank.kernel.events import OutboxEvent, record_event
from tests.support_handlers import WorkerEffect

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres_only


def _redis_publisher(redis_url: str):  # noqa: ANN202
    broker = RedisBroker(url=redis_url)

    def publish(ids) -> None:  # noqa: ANN001
        broker.enqueue(dramatiq.Message(queue_name="events", actor_name="events.dispatch", args=(list(ids),),
                                        kwargs={}, options={}))

    return publish


def _start_worker(settings: Settings, threads: int = 4) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SERVICEBANK_DATABASE_URL": settings.database_url, "SERVICEBANK_REDIS_URL": settings.redis_url,
           "SERVICEBANK_SECRET_KEY": settings.secret_key, "PYTHONPATH": str(ROOT),
           # Batches no bigger than the messages (100 events): a dispatch otherwise fills its batch
           # with the waiting events, and the whole stream could commit before the kill lands.
           "SERVICEBANK_OUTBOX_BATCH_SIZE": "100"}
    return subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "servicebank.workers.tasks", "tests.support_handlers",
         "-p", "1", "-t", str(threads)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


async def _counts(db: Database) -> tuple[int, int]:
    # One statement, one snapshot: two reads under READ COMMITTED could straddle a batch's commit
    # and see its events processed but not its effects.
    effects = select(func.count()).select_from(WorkerEffect).scalar_subquery()
    pending = (select(func.count(OutboxEvent.id)).where(OutboxEvent.processed_at.is_(None))).scalar_subquery()
    async with db.session_scope() as s:
        row = (await s.execute(select(effects, pending))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def _wait(db: Database, predicate, timeout: float) -> tuple[int, int]:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    counts = await _counts(db)
    while time.monotonic() < deadline and not predicate(*counts):
        await asyncio.sleep(0.2)
        counts = await _counts(db)
    return counts


async def _record(db: Database, n: int, sleep: float) -> list[int]:
    ids: list[int] = []
    for start in range(0, n, 100):
        async with db.session_scope() as s:
            for i in range(start, min(n, start + 100)):
                ids.append((await record_event(s, "test.work", {"note": f"e{i}", "sleep": sleep})).id)
    return ids


async def processed_by_a_worker(settings: Settings, db: Database, events: int) -> tuple[int, int]:
    """(effects, events left pending) after a real worker process handled `events` recorded events."""
    worker = _start_worker(settings)
    try:
        await _record(db, events, 0)
        return await _wait(db, lambda e, p: p == 0, 60)
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


async def test_worker_processes_published_events(settings: Settings, db: Database) -> None:
    db.publisher = _redis_publisher(settings.redis_url)
    assert await processed_by_a_worker(settings, db, 300) == (300, 0)


async def test_sigkill_mid_batch_loses_nothing_and_doubles_nothing(settings: Settings, db: Database) -> None:
    db.publisher = _redis_publisher(settings.redis_url)
    total = 600
    worker = _start_worker(settings)
    try:
        await _record(db, total, 0.005)
        effects, _ = await _wait(db, lambda e, p: e >= total // 4, 60)
        assert 0 < effects < total, "the kill must land while work is in flight"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        killed_at, _ = await _counts(db)
        worker = _start_worker(settings)
        # Messages held by the killed worker come back through the sweep (and Redis' own requeue).
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            ids = await events.pending_ids(db, older_than=__import__("datetime").timedelta(0), limit=10_000)
            if not ids:
                break
            db.publisher(ids)
            await asyncio.sleep(1.0)
        effects, pending = await _counts(db)
        assert pending == 0
        assert effects == total, f"{effects} effects for {total} events (killed at {killed_at})"
    finally:
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
