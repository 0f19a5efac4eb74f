"""A batch whose handlers fail part-way is replayed event by event; batch handlers get every event of
their types at once, and what the failed attempt registered to do after commit is forgotten."""

from __future__ import annotations

from sqlalchemy import func, select

from servicebank.kernel import events
from servicebank.kernel.db import Database
from servicebank.kernel.events import OutboxEvent, record_event
from servicebank.kernel.unit_of_work import AfterCommit, unit_of_work
from tests.support_handlers import WorkerEffect

CALLS: list[list[int]] = []
SENT: list[int] = []


class SendAfterCommit(AfterCommit):
    async def run(self) -> None:
        SENT.extend(self.items)


@events.subscribe_batch("test.batch")
async def write_whole_batch(session, batch) -> None:  # noqa: ANN001
    CALLS.append([e.id for e in batch])
    for event in batch:
        session.add(WorkerEffect(event_id=event.id, note="batch"))
        unit_of_work(session).step(SendAfterCommit).note(event.id)
    await session.flush()


@events.subscribe("test.batch.poison")
async def poison(session, event) -> None:  # noqa: ANN001
    raise RuntimeError("this one always fails")


async def test_failed_batch_is_replayed_without_its_after_commit_steps(db: Database) -> None:
    CALLS.clear()
    SENT.clear()
    async with db.session_scope() as s:
        ids = [(await record_event(s, "test.batch", {})).id for _ in range(3)]
        ids.append((await record_event(s, "test.batch.poison", {})).id)
    assert await events.process_events(db, ids) == 3
    # Once with the whole batch (rolled back with the poison), then once per event.
    assert CALLS == [ids[:3], *([i] for i in ids[:3])]
    assert sorted(SENT) == ids[:3], "each step noted once: the failed attempt's notes were forgotten"
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count()).select_from(WorkerEffect)) == 3
        pending = (await s.scalars(select(OutboxEvent.type).where(OutboxEvent.processed_at.is_(None)))).all()
    assert pending == ["test.batch.poison"]


async def test_rolled_back_savepoint_forgets_its_steps_and_rollback_forgets_all(db: Database) -> None:
    SENT.clear()
    async with db.session_scope() as s:
        unit_of_work(s).step(SendAfterCommit).note(1)
        try:
            async with s.begin_nested():
                unit_of_work(s).step(SendAfterCommit).note(2)
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        async with s.begin_nested():
            unit_of_work(s).step(SendAfterCommit).note(3)
        assert SENT == [], "nothing runs before the commit"
    assert SENT == [1, 3]
    async with db.sessionmaker() as s:
        unit_of_work(s).step(SendAfterCommit).note(4)
        await s.rollback()
        await s.commit()
    assert SENT == [1, 3]


async def test_a_message_takes_waiting_events_along_but_not_failed_ones(db: Database) -> None:
    CALLS.clear()
    async with db.session_scope() as s:
        ids = [(await record_event(s, "test.batch", {})).id for _ in range(4)]
        failed_before = await s.get(OutboxEvent, ids[3])
        failed_before.attempts = 1
    # The message names one event; the batch is filled with the others never tried yet.
    assert await events.process_events(db, [ids[1]], limit=1, fill_to=10) == 3
    assert CALLS == [ids[:3]]
    assert await events.process_events(db, [ids[0]], limit=1, fill_to=10) == 0, "its own message finds it done"
    async with db.session_scope() as s:
        pending = (await s.scalars(select(OutboxEvent.id).where(OutboxEvent.processed_at.is_(None)))).all()
    assert pending == [ids[3]]


async def test_a_message_whose_events_were_taken_along_starts_no_batch_of_others(db: Database) -> None:
    CALLS.clear()
    async with db.session_scope() as s:
        first, later = [(await record_event(s, "test.batch", {})).id for _ in range(2)]
    assert await events.process_events(db, [first], limit=1) == 1
    # `first`'s message again (a re-delivery): done, so `later` is left to its own message.
    assert await events.process_events(db, [first], limit=1, fill_to=10) == 0
    assert CALLS == [[first]]
    assert await events.process_events(db, [later], limit=1, fill_to=10) == 1
