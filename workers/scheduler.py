"""The scheduler: one active instance sends periodic actor messages; others stand by.

Leadership is a PostgreSQL advisory lock held on a dedicated connection, so a crashed scheduler
frees it at once. That connection runs in autocommit: a session-level lock needs no transaction, and
one left open for as long as the scheduler leads trips `idle_in_transaction_session_timeout` and
long-transaction alerts. Each job's last run key is stored, so a restart never runs a monthly job twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import dramatiq
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from servicebank.kernel.db import Database
from servicebank.kernel.scheduler_runs import SchedulerRun
from servicebank.workers.schedule import JOBS, PeriodicJob

log = logging.getLogger(__name__)

# Arbitrary constant shared by every scheduler process of one installation.
LEADER_LOCK_KEY = 0x5B_5C4E_D01E


async def run_due_jobs(db: Database, now: dt.datetime | None = None) -> list[str]:
    """Send every job whose run key changed since its last run; returns the names sent."""
    now = now or dt.datetime.now(dt.UTC)
    tz = ZoneInfo(db.settings.timezone)
    started: dict[str, str] = {}
    async with db.session_scope() as session:
        last = {r.job: r for r in (await session.scalars(select(SchedulerRun))).all()}
        for job in JOBS.values():
            key = job.run_key(now, tz)
            if not key:
                continue
            row = last.get(job.name)
            if row is not None and row.last_key == key:
                continue
            if row is None:
                session.add(SchedulerRun(job=job.name, last_key=key))
            else:
                row.last_key = key
            started[job.name] = key
    for name, key in started.items():
        _send(JOBS[name])
        # The run key in the log says which period was started, so a run started twice would show.
        log.info("scheduler started %s for run %s", name, key)
    return list(started)


def _send(job: PeriodicJob) -> None:
    actor = dramatiq.get_broker().get_actor(job.actor_name)
    actor.send()


class Leadership:
    """Holds the advisory lock on PostgreSQL; SQLite (embedded, one process) is always leader."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn = None
        # Behind PgBouncer in transaction mode the lock lives on a connection straight to PostgreSQL (or a
        # session-mode pool): a session-level lock must stay on one server connection while we lead.
        url = db.settings.scheduler_database_url
        self._engine = create_async_engine(url, poolclass=NullPool) if url else db.engine

    async def acquire(self) -> bool:
        if self.db.dialect != "postgresql":
            return True
        if self._conn is None:
            conn = await self._engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return bool(await self._conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}))

    async def still_held(self) -> bool:
        if self._conn is None:
            return self.db.dialect != "postgresql"
        try:
            await self._conn.scalar(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - a lost connection means the lock is gone
            conn, self._conn = self._conn, None
            await conn.invalidate()  # never back into the pool
            return False

    async def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            # A pooled connection outlives close(): drop the session-level lock explicitly.
            await conn.execute(text("SELECT pg_advisory_unlock_all()"))
            await conn.close()
        except Exception:  # noqa: BLE001 - a broken connection holds no lock; discard it
            await conn.invalidate()


async def run_scheduler(db: Database, *, tick_seconds: float = 5.0, stop: asyncio.Event | None = None) -> None:
    """Loop until stopped: stand by until leader, then start due jobs every tick."""
    stop = stop or asyncio.Event()
    leadership = Leadership(db)
    leader = False
    try:
        while not stop.is_set():
            try:
                if not leader:
                    leader = await leadership.acquire()
                    if leader:
                        log.info("scheduler is now the active instance")
                else:
                    leader = await leadership.still_held()
                if leader:
                    await run_due_jobs(db)
            except Exception:  # noqa: BLE001 - keep scheduling through database restarts
                log.warning("scheduler tick failed; retrying", exc_info=True)
                leader = False
                await leadership.release()
            try:
                await asyncio.wait_for(stop.wait(), timeout=tick_seconds)
            except TimeoutError:
                pass
    finally:
        await leadership.release()
