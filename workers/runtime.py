"""Per-process state of a worker: its own database engine, created in the worker's event loop, and the
dispatch actor that the events committed through it are sent to.

The actor lives here, next to `worker_db` and `publish_event_ids`, because the three need each other: the
actor runs handlers on the worker's database, whose commits publish to the actor."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import dramatiq
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.config import get_settings
from servicebank.kernel import events
from servicebank.kernel.db import Database
from servicebank.workers.broker import broker  # noqa: F401  (must be configured before actors)
from servicebank.workers.schedule import every

log = logging.getLogger(__name__)

_db: Database | None = None


@dramatiq.actor(actor_name="events.dispatch", queue_name="events", max_retries=5, min_backoff=1000)
async def dispatch(event_ids: list[int]) -> None:
    """Run the handlers of these events and mark them processed (a re-delivery finds them done).

    Other waiting events are taken along up to a full batch, so a worker that falls behind catches up
    in big batches instead of one message at a time.
    """
    db = worker_db()
    async with _one_batch_at_a_time():
        await events.process_events(db, event_ids, limit=max(len(event_ids), 1), fill_to=db.settings.outbox_batch_size)


_batch_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _one_batch_at_a_time() -> asyncio.Lock:
    """The lock the dispatches of this process take turns on (all of its async actors share one event loop).

    Under a wave of check-outs the worker threads each took a message at once and ran small batches side by side,
    which then queued on the same community account's row lock, each paying a transaction, a posting and a
    leaderboard push for a handful of events. Taking turns, the next dispatch takes along everything that arrived
    meanwhile (process_events' fill), and the messages behind it find their events done. Other worker processes
    still run their batches beside this one (FOR UPDATE SKIP LOCKED keeps them apart).
    """
    loop = asyncio.get_running_loop()  # one lock per loop: a lock serves the loop it was first waited on
    lock = _batch_locks.get(loop)
    if lock is None:
        lock = _batch_locks[loop] = asyncio.Lock()
    return lock


def publish_event_ids(event_ids: Sequence[int]) -> None:
    """Send committed event ids to the dispatch actor, in batches."""
    ids = list(event_ids)
    batch = get_settings().outbox_batch_size
    for start in range(0, len(ids), batch):
        dispatch.send(ids[start:start + batch])


def worker_db() -> Database:
    """This worker process's database (events recorded by handlers are published after commit)."""
    global _db
    if _db is None:
        _db = Database(get_settings(), publisher=publish_event_ids)
    return _db


def periodic_job(schedule_name: str, actor_name: str, *, seconds: int,
                 done: str) -> Callable[[Callable[[AsyncSession], Awaitable[Any]]], dramatiq.Actor]:
    """Declare `work(session)` as an idempotent job the scheduler starts every `seconds`: one transaction on
    this worker's database, never retried by Dramatiq (the next tick is the retry), logging `done % result`
    when the result says something happened (a count above 0, or a dict with any count).

    `schedule_name` is the key the scheduler stores the last run under: keep it when moving a job."""

    def declare(work: Callable[[AsyncSession], Awaitable[Any]]) -> dramatiq.Actor:
        async def run() -> None:
            async with worker_db().session_scope() as session:
                result = await work(session)
            if any(result.values()) if isinstance(result, dict) else result:
                log.info(done, len(result) if isinstance(result, list) else result)

        run.__doc__ = work.__doc__
        run.__name__ = run.__qualname__ = actor_name.replace(".", "_")
        every(schedule_name, actor_name, seconds=seconds)
        return dramatiq.actor(run, actor_name=actor_name, queue_name="default", max_retries=0)

    return declare
