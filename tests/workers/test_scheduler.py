"""The scheduler: one active instance (PostgreSQL advisory lock), jobs started once per period."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from sqlalchemy import select, text

from servicebank.kernel.db import Database
from servicebank.kernel.scheduler_runs import SchedulerRun
from servicebank.workers import schedule
from servicebank.workers.scheduler import Leadership, run_due_jobs, run_scheduler


@pytest.fixture
def isolated_jobs(monkeypatch):  # noqa: ANN001, ANN201
    jobs = {"monthly-test": schedule.PeriodicJob(name="monthly-test", actor_name="events.sweep", monthly_day=1),
            "every-minute": schedule.PeriodicJob(name="every-minute", actor_name="events.sweep", every_seconds=60)}
    monkeypatch.setattr("servicebank.workers.scheduler.JOBS", jobs)
    sent: list[str] = []
    monkeypatch.setattr("servicebank.workers.scheduler._send", lambda job: sent.append(job.name))
    return sent


async def test_monthly_job_runs_once_per_month_even_across_restarts(db: Database, isolated_jobs) -> None:  # noqa: ANN001
    sent = isolated_jobs
    first = dt.datetime(2026, 11, 1, 0, 0, 30, tzinfo=dt.UTC)  # 08:00 in Shanghai on the 1st
    assert sorted(await run_due_jobs(db, first)) == ["every-minute", "monthly-test"]
    # A restarted scheduler later that day, and the next minute, do not start the monthly job again.
    assert await run_due_jobs(db, first + dt.timedelta(seconds=5)) == []
    assert await run_due_jobs(db, first + dt.timedelta(minutes=1)) == ["every-minute"]
    assert await run_due_jobs(db, first + dt.timedelta(days=10)) == ["every-minute"]
    assert sorted(await run_due_jobs(db, dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC))) == ["every-minute", "monthly-test"]
    assert sent.count("monthly-test") == 2
    async with db.session_scope() as s:
        keys = {r.job: r.last_key for r in (await s.scalars(select(SchedulerRun))).all()}
    assert keys["monthly-test"] == "2026-12"


async def test_monthly_job_uses_local_time(db: Database, isolated_jobs) -> None:  # noqa: ANN001
    # 23:30 UTC on Oct 31 is already Nov 1 in Shanghai: the job for the new month starts.
    assert "monthly-test" in await run_due_jobs(db, dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC))


@pytest.fixture
async def two_schedulers(db: Database, settings):  # noqa: ANN001, ANN201
    """An active scheduler and a standby, each with its own engine."""
    other_db = Database(settings)
    first, second = Leadership(db), Leadership(other_db)
    assert await first.acquire() is True
    assert await second.acquire() is False, "a second scheduler must stand by"
    yield first, second
    await first.release()
    await second.release()
    await other_db.dispose()


@pytest.mark.postgres_only
async def test_only_one_scheduler_is_active_and_a_standby_takes_over(two_schedulers) -> None:  # noqa: ANN001
    first, second = two_schedulers
    assert await first.still_held()
    await first.release()  # the active scheduler stops
    assert await second.acquire() is True


async def _lock_holders(db: Database) -> list[int]:
    async with db.engine.connect() as conn:
        pids = await conn.scalars(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"))
        return list(pids.all())


@pytest.mark.postgres_only
async def test_the_leader_holds_no_transaction_open(db: Database) -> None:
    leadership = Leadership(db)
    try:
        assert await leadership.acquire() is True
        assert await leadership.still_held()
        [pid] = await _lock_holders(db)
        async with db.engine.connect() as conn:
            state, xact_start = (await conn.execute(text("SELECT state, xact_start FROM pg_stat_activity "
                                                         "WHERE pid = :pid"), {"pid": pid})).one()
        assert (state, xact_start) == ("idle", None)
    finally:
        await leadership.release()


@pytest.mark.postgres_only
async def test_the_leader_keeps_leading_under_an_idle_in_transaction_timeout(
        db: Database, settings, monkeypatch, caplog) -> None:  # noqa: ANN001
    async with db.engine.connect() as conn:
        name = await conn.scalar(text("SELECT current_database()"))
        await conn.execute(text(f'ALTER DATABASE "{name}" SET idle_in_transaction_session_timeout = \'5s\''))
        await conn.commit()
    leader_db = Database(settings)  # its connections start with the timeout
    holders: list[list[int]] = []
    ticks_done = asyncio.Event()

    async def leading_tick(_db: Database) -> list[str]:
        holders.append(await _lock_holders(db))
        if len(holders) == 3:
            ticks_done.set()
        return []

    monkeypatch.setattr("servicebank.workers.scheduler.run_due_jobs", leading_tick)
    stop = asyncio.Event()
    try:
        with caplog.at_level(logging.INFO, logger="servicebank.workers.scheduler"):
            # Ticks 6 s apart, each longer than the timeout: a transaction left open between them is ended
            # by the server, and the scheduler would lose its lock and take it again on another connection.
            scheduler = asyncio.create_task(run_scheduler(leader_db, tick_seconds=6, stop=stop))
            await asyncio.wait_for(ticks_done.wait(), timeout=120)
            stop.set()
            await scheduler
    finally:
        async with db.engine.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" RESET idle_in_transaction_session_timeout'))
            await conn.commit()
        await leader_db.dispose()
    assert len({tuple(h) for h in holders}) == 1 and len(holders[0]) == 1, holders
    assert [r.message for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r.message for r in caplog.records].count("scheduler is now the active instance") == 1


@pytest.mark.postgres_only
async def test_a_standby_takes_over_when_the_leaders_connection_is_killed(db: Database, two_schedulers) -> None:  # noqa: ANN001
    first, second = two_schedulers
    [pid] = await _lock_holders(db)
    async with db.engine.connect() as conn:
        # With a timeout PostgreSQL waits until the backend has exited, its advisory lock with it: without one the
        # standby could ask while the ending backend still held the lock (CI saw that once).
        await conn.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
        await conn.commit()
    assert await first.still_held() is False
    assert await second.acquire() is True
