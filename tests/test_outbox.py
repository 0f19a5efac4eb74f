"""The outbox guarantee: rolled-back events never go out, lost sends are swept, re-deliveries have one effect."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel import events
from servicebank.kernel.db import Database, PlainBase
from servicebank.kernel.events import OutboxEvent, record_event


class HandlerEffect(PlainBase):
    """A table only the test handler writes: one row per handled event, keyed by the event id."""

    __tablename__ = "test_handler_effect"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note: Mapped[str] = mapped_column(String(40))


@events.subscribe("test.happened")
async def _handler(session, event) -> None:  # noqa: ANN001
    # Idempotent by its own key as well as by the outbox's processed mark.
    if await session.get(HandlerEffect, event.id) is None:
        session.add(HandlerEffect(event_id=event.id, note=event.payload["note"]))


class Recorder:
    def __init__(self) -> None:
        self.sent: list[list[int]] = []

    def __call__(self, ids) -> None:  # noqa: ANN001
        self.sent.append(list(ids))


async def _effects(db: Database) -> int:
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count()).select_from(HandlerEffect)) or 0)


async def test_event_of_rolled_back_transaction_is_never_delivered(db: Database) -> None:
    db.publisher = recorder = Recorder()
    async with db.sessionmaker() as s:
        await record_event(s, "test.happened", {"note": "rolled back"})
        await s.rollback()
    assert recorder.sent == []
    assert await events.drain(db) == 0
    assert await _effects(db) == 0


async def test_committed_event_is_published_once_after_commit(db: Database) -> None:
    db.publisher = recorder = Recorder()
    async with db.sessionmaker() as s:
        ev = await record_event(s, "test.happened", {"note": "committed"})
        assert recorder.sent == [], "nothing may be sent before commit"
        await s.commit()
    assert recorder.sent == [[ev.id]]
    assert await events.process_events(db, [ev.id]) == 1
    assert await _effects(db) == 1


async def test_send_failure_after_commit_is_recovered_by_the_sweep(db: Database) -> None:
    def broken(_ids) -> None:  # noqa: ANN001
        raise ConnectionError("broker down")

    db.publisher = broken
    async with db.session_scope() as s:
        ev = await record_event(s, "test.happened", {"note": "lost send"})
    # The request still succeeded; the event waits in the outbox.
    assert await events.pending_ids(db, older_than=dt.timedelta(0), limit=10) == [ev.id]
    assert await events.pending_ids(db, older_than=dt.timedelta(hours=1), limit=10) == []
    db.publisher = recorder = Recorder()
    resent = await events.pending_ids(db, older_than=dt.timedelta(0), limit=10)
    db.publisher(resent)
    assert recorder.sent == [[ev.id]]
    await events.process_events(db, resent)
    assert await _effects(db) == 1
    assert await events.pending_ids(db, older_than=dt.timedelta(0), limit=10) == []


async def test_delivering_twice_has_the_effect_once(db: Database) -> None:
    async with db.session_scope() as s:
        ev = await record_event(s, "test.happened", {"note": "twice"})
    assert await events.process_events(db, [ev.id]) == 1
    assert await events.process_events(db, [ev.id]) == 0
    assert await events.drain(db) == 0
    assert await _effects(db) == 1


async def test_failing_handler_is_retried_then_parked_without_blocking_others(db: Database) -> None:
    calls = {"n": 0}

    @events.subscribe("test.flaky")
    async def flaky(session, event) -> None:  # noqa: ANN001
        calls["n"] += 1
        raise RuntimeError("downstream broken")

    async with db.session_scope() as s:
        bad = await record_event(s, "test.flaky", {})
        good = await record_event(s, "test.happened", {"note": "fine"})
    assert await events.process_events(db, [bad.id, good.id]) == 1
    assert await _effects(db) == 1
    for _ in range(events.MAX_ATTEMPTS):
        await events.process_events(db, [bad.id])
    async with db.session_scope() as s:
        row = await s.get(OutboxEvent, bad.id)
        assert row.dead and row.processed_at is None and "downstream broken" in row.last_error
    assert (await events.backlog(db))["dead"] == 1
    assert await events.revive_dead(db) == 1


@pytest.mark.postgres_only
async def test_concurrent_dispatch_of_the_same_events_applies_each_once(db: Database) -> None:
    import asyncio

    async with db.session_scope() as s:
        ids = [(await record_event(s, "test.happened", {"note": f"n{i}"})).id for i in range(50)]
    done = await asyncio.gather(*(events.process_events(db, ids) for _ in range(5)))
    assert await _effects(db) == 50
    assert sum(done) == 50
