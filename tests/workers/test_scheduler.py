"""The scheduler: one active instance (PostgreSQL advisory lock), jobs started once per period."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from servicebank.db import Database
from servicebank.workers import schedule
from servicebank.workers.scheduler import Leadership, SchedulerRun, run_due_jobs


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


@pytest.mark.postgres_only
async def test_only_one_scheduler_is_active_and_a_standby_takes_over(db: Database, settings) -> None:  # noqa: ANN001
    other_db = Database(settings)
    first, second = Leadership(db), Leadership(other_db)
    try:
        assert await first.acquire() is True
        assert await second.acquire() is False, "a second scheduler must stand by"
        assert await first.still_held()
        await first.release()  # the active scheduler stops (or its connection dies)
        assert await second.acquire() is True
    finally:
        await first.release()
        await second.release()
        await other_db.dispose()
