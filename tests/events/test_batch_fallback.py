"""A batch whose handlers fail part-way is replayed event by event, and state that handlers kept in
the session during the failed attempt is forgotten (no event is skipped as 'already done')."""

from __future__ import annotations

from sqlalchemy import func, select

from servicebank import events
from servicebank.db import Database
from servicebank.events import OutboxEvent, record_event
from tests.support_handlers import WorkerEffect

MARK = "test.batch.done"


@events.subscribe("test.batch")
async def remember_then_write(session, event) -> None:  # noqa: ANN001
    # Like the ledger's batch tally: the first event writes for the whole batch and remembers it.
    done: set[int] = session.info.setdefault(MARK, set())
    if event.id in done:
        return
    batch = [o for o in session.identity_map.values() if isinstance(o, OutboxEvent) and o.type == "test.batch"]
    for other in batch:
        session.add(WorkerEffect(event_id=other.id, note="batch"))
        done.add(other.id)
    await session.flush()


@events.subscribe("test.batch.poison")
async def poison(session, event) -> None:  # noqa: ANN001
    raise RuntimeError("this one always fails")


async def test_failed_batch_is_replayed_without_stale_handler_state(db: Database) -> None:
    async with db.session_scope() as s:
        ids = [(await record_event(s, "test.batch", {})).id for _ in range(3)]
        ids.append((await record_event(s, "test.batch.poison", {})).id)
    assert await events.process_events(db, ids) == 3
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count()).select_from(WorkerEffect)) == 3
        pending = (await s.scalars(select(OutboxEvent.type).where(OutboxEvent.processed_at.is_(None)))).all()
    assert pending == ["test.batch.poison"]
