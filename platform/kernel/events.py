"""The outbox: events written in the transaction of the change they describe, handled at most once.

A domain calls `record_event(session, type, payload)` next to its change. After commit the event id
goes to the broker; the `events.dispatch` actor runs every handler subscribed to the event type and
marks it processed, all in one transaction, so a handler's database effects happen exactly once even
when a message is delivered twice. The sweep re-sends whatever was left unprocessed.

A handler takes one event (`subscribe`) or every event of its types in the claimed batch at once
(`subscribe_batch`), which lets the ledger post a whole batch with a handful of statements.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Index, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import Base, Database, affected_rows, among, table_of
from servicebank.kernel.dialect import is_postgres
from servicebank.kernel.unit_of_work import AfterCommit, unit_of_work

log = logging.getLogger(__name__)

# After this many failed attempts an event is parked (dead) and reported by /health and metrics.
MAX_ATTEMPTS = 10


class OutboxEvent(Base):
    """An event, stored with the change it describes."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_event_pending", "processed_at", "dead", "id"),
    )

    type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    dead: Mapped[bool] = mapped_column(default=False)


_OUTBOX = table_of(OutboxEvent)
# For a write done in one statement that inserts its own event (requests/fast_accept.py), then publish_after_commit.
OUTBOX_TABLE = _OUTBOX
Handler = Callable[[AsyncSession, OutboxEvent], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[OutboxEvent]], Awaitable[None]]
_handlers: dict[str, list[Handler]] = defaultdict(list)
_batch_handlers: dict[str, list[BatchHandler]] = defaultdict(list)


def subscribe(*event_types: str) -> Callable[[Handler], Handler]:
    """Register a handler for event types. Handlers must be idempotent and never commit."""

    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            if handler not in _handlers[event_type]:
                _handlers[event_type].append(handler)
        return handler

    return register


def subscribe_batch(*event_types: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register a handler called once per dispatch batch with all its events of these types, in id order.

    Idempotent per event and never commits, like any handler; when the batch fails, the outbox
    calls it again with one event at a time to find the event that fails.
    """

    def register(handler: BatchHandler) -> BatchHandler:
        for event_type in event_types:
            if handler not in _batch_handlers[event_type]:
                _batch_handlers[event_type].append(handler)
        return handler

    return register


def handlers_for(event_type: str) -> list[Handler]:
    return list(_handlers.get(event_type, ()))


def subscribed_types() -> set[str]:
    """Every event type some handler, one-event or batch, consumes."""
    return {t for t, hs in _handlers.items() if hs} | {t for t, hs in _batch_handlers.items() if hs}


def consumers_of(event_type: str) -> list[Handler | BatchHandler]:
    """Every handler of the type, one-event and batch (the event catalogue is checked against these)."""
    return [*_handlers.get(event_type, ()), *_batch_handlers.get(event_type, ())]


async def _run_handlers(session: AsyncSession, events: list[OutboxEvent]) -> None:
    """Every batch handler once with its events, then every one-event handler per event."""
    batches: dict[BatchHandler, list[OutboxEvent]] = {}
    for event in events:
        for batch_handler in _batch_handlers.get(event.type, ()):
            batches.setdefault(batch_handler, []).append(event)
    for batch_handler, batch in batches.items():
        await batch_handler(session, batch)
    for event in events:
        for handler in handlers_for(event.type):
            await handler(session, event)


class PublishEvents(AfterCommit):
    """Send the ids of the events a transaction wrote to the broker once it has committed.

    If the send fails (broker down, process killed) the outbox sweep sends them later.
    """

    async def run(self) -> None:
        if self.items:
            publish_now(self.session.info.get("db"), list(self.items))


def publish_now(db: Any, event_ids: list[int]) -> None:  # noqa: ANN401 - a Database, or None outside one
    """Send committed events' ids to the broker now; if that fails, the outbox sweep sends them later."""
    if db is None or db.publisher is None:
        return
    try:
        db.publisher(event_ids)
    except Exception:  # noqa: BLE001 - the sweep is the safety net, never fail a committed request
        log.warning("could not publish %d outbox events; the sweep will resend them", len(event_ids), exc_info=True)


def publish_after_commit(session: AsyncSession, event_id: int) -> None:
    """Send an outbox row written by the caller (e.g. with plain SQL) once the transaction commits."""
    unit_of_work(session).step(PublishEvents).note(event_id)


async def record_event(session: AsyncSession, type: str, payload: dict[str, Any]) -> OutboxEvent:  # noqa: A002
    """Write an event to the outbox in the caller's transaction; it is published after commit.

    Returns the event as written (not attached to the session). Pending ORM changes are flushed first,
    as callers expect of a write.
    """
    await session.flush()
    now = utcnow()
    (event_id,) = await insert_events(session, [(type, payload)], now=now)
    return OutboxEvent(id=event_id, type=type, payload=payload, created_at=now, attempts=0, dead=False)


async def insert_events(session: AsyncSession, events: Sequence[tuple[str, dict[str, Any]]], *,
                        now: dt.datetime, publish: bool = True) -> list[int]:
    """The one way an event enters the outbox: (type, payload) pairs in one INSERT, each published after commit.

    A plain Core statement, not the ORM unit of work: the busiest writes (check-out) call it directly.
    `publish=False` writes a safety net instead: work the writer does itself after the commit, and marks done
    (`mark_processed`); if its process dies first, the outbox sweep sends the event and a handler does it.
    """
    ids = list((await session.execute(
        _OUTBOX.insert().values([{"type": type_, "payload": payload, "created_at": now, "attempts": 0, "dead": False}
                                 for type_, payload in events])
        .returning(_OUTBOX.c.id)
    )).scalars())
    if publish:
        for event_id in ids:
            publish_after_commit(session, event_id)
    return ids


async def mark_processed(session: AsyncSession, event_ids: Sequence[int]) -> None:
    """The work of these safety-net events was done by their writer (insert_events with publish=False)."""
    await session.execute(_OUTBOX.update().where(_OUTBOX.c.id.in_(list(event_ids)),
                                                _OUTBOX.c.processed_at.is_(None)).values(processed_at=utcnow()))


async def _claim(session: AsyncSession, event_ids: Sequence[int] | None, limit: int,
                 after_id: int = 0) -> list[OutboxEvent]:
    query = select(OutboxEvent).where(OutboxEvent.processed_at.is_(None), OutboxEvent.dead.is_(False),
                                      OutboxEvent.id > after_id)
    if event_ids is not None:
        query = query.where(among(session, OutboxEvent.id, event_ids))
    query = query.order_by(OutboxEvent.id).limit(limit)
    if is_postgres(session):
        # Two workers given the same events (a re-send) never run them at the same time.
        query = query.with_for_update(skip_locked=True)
    return list((await session.scalars(query)).all())


async def _claim_more(session: AsyncSession, claimed: list[OutboxEvent], extra: int) -> list[OutboxEvent]:
    """Up to `extra` other pending events never tried before, to fill the batch.

    When events arrive one message each (a check-out per request), a worker that is behind takes the
    waiting ones along: one batch, one commit and one push for many. Their own messages then find
    them processed. Events that failed before are left to their own message and the sweep.
    """
    query = select(OutboxEvent).where(OutboxEvent.processed_at.is_(None), OutboxEvent.dead.is_(False),
                                      OutboxEvent.attempts == 0)
    if claimed:
        query = query.where(~among(session, OutboxEvent.id, [e.id for e in claimed]))
    query = query.order_by(OutboxEvent.id).limit(extra)
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list((await session.scalars(query)).all())


async def _apply(session: AsyncSession, event: OutboxEvent) -> bool:
    try:
        async with session.begin_nested():
            await _run_handlers(session, [event])
    except Exception as exc:  # noqa: BLE001 - one bad event must not block the batch
        event.attempts += 1
        event.last_error = "".join(traceback.format_exception_only(exc))[-2000:]
        event.dead = event.attempts >= MAX_ATTEMPTS
        log.exception("event %s (%s) failed, attempt %s", event.id, event.type, event.attempts)
        return False
    event.processed_at = utcnow()
    return True


async def _apply_all(session: AsyncSession, events: list[OutboxEvent]) -> bool:
    """Run the handlers of every event in one savepoint; False (and nothing kept) if any fails.

    The savepoint's rollback also forgets the after-commit steps its handlers registered.
    """
    try:
        async with session.begin_nested():
            await _run_handlers(session, events)
    except Exception:  # noqa: BLE001 - retried event by event to find and park the bad one
        log.info("batch of %d events had a failure; applying them one by one", len(events))
        return False
    return True


async def process_events(db: Database, event_ids: Sequence[int] | None = None, *, limit: int = 500,
                         fill_to: int = 0) -> int:
    """Apply the given (or the oldest pending) events in one transaction; returns how many succeeded.

    The fast path runs the whole batch in one savepoint and marks it processed with one UPDATE; if a
    handler fails, the batch is replayed one savepoint per event so only the failing event waits.
    With `fill_to`, other waiting events are taken along until the batch has that many (see _claim_more).
    """
    async with db.session_scope() as session:
        events = await _claim(session, event_ids, limit)
        # A message whose events another batch took along (or is running) has nothing to add: the events still
        # waiting have messages of their own, so it ends here instead of starting a batch of stragglers.
        if fill_to > len(events) and (events or event_ids is None):
            events = sorted(events + await _claim_more(session, events, fill_to - len(events)), key=lambda e: e.id)
        if not events:
            return 0
        if await _apply_all(session, events):
            await session.execute(update(OutboxEvent).where(among(session, OutboxEvent.id, [e.id for e in events]))
                                  .values(processed_at=utcnow()).execution_options(synchronize_session=False))
            return len(events)
        done = 0
        for event in events:
            done += await _apply(session, event)
        return done


async def drain(db: Database, *, limit: int = 500, max_rounds: int = 10_000) -> int:
    """Process pending events until none is left (embedded mode, tests, `outbox drain`).

    Each event is tried once per call, events recorded by handlers included; failures wait for the
    sweep, which retries them with their attempt count.
    """
    total = 0
    last_id = 0
    for _ in range(max_rounds):
        async with db.session_scope() as session:
            ids = [e.id for e in await _claim(session, None, limit, after_id=last_id)]
        if not ids:
            break
        total += await process_events(db, ids, limit=limit)
        last_id = ids[-1]
    return total


async def pending_ids(db: Database, *, older_than: dt.timedelta, limit: int) -> list[int]:
    """Ids of events still unprocessed after `older_than`, oldest first."""
    cutoff = utcnow() - older_than
    async with db.session_scope() as session:
        rows = await session.scalars(
            select(OutboxEvent.id)
            .where(OutboxEvent.processed_at.is_(None), OutboxEvent.dead.is_(False), OutboxEvent.created_at <= cutoff)
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        return list(rows.all())


async def backlog(db: Database) -> dict[str, Any]:
    """Pending and dead event counts and the age of the oldest pending event, in seconds."""
    from sqlalchemy import func

    async with db.session_scope() as session:
        pending, oldest = (
            await session.execute(
                select(func.count(OutboxEvent.id), func.min(OutboxEvent.created_at)).where(
                    OutboxEvent.processed_at.is_(None), OutboxEvent.dead.is_(False)
                )
            )
        ).one()
        dead = await session.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.dead.is_(True)))
    age = 0.0
    if oldest is not None:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        age = max(0.0, (utcnow() - oldest).total_seconds())
    return {"pending": int(pending or 0), "dead": int(dead or 0), "oldest_pending_age_s": round(age, 3)}


async def revive_dead(db: Database) -> int:
    """Give parked events another chance (after the cause was fixed)."""
    async with db.session_scope() as session:
        result = await session.execute(
            update(OutboxEvent).where(OutboxEvent.dead.is_(True)).values(dead=False, attempts=0)
        )
        return affected_rows(result)
