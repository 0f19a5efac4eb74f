"""Tally throughput: attendance events turned into ledger postings by a real Dramatiq worker, against a
Dramatiq actor doing one PostgreSQL insert per message, in the same run on the same servers.

Starts a throwaway PostgreSQL and Redis (tests/servers.py). Throughput, in alternating rounds: N
approved attendances with their outbox events, dispatched in messages of 500 ids (what the
after-commit publisher sends) to `python -m dramatiq ... -p 1 -t 4`, events/s from the first send to
the last processed_at; then the baseline, N messages of one insert each. Lag: approved attendances'
events produced at a steady rate in small commits (like check-outs), each published after commit;
lag = processed_at - created_at. Next to each rate: the CPU milliseconds per event of the worker
(process and children), PostgreSQL, Redis and this generator, so a reader sees who was busy.
Prints a markdown table.

    python bench/tally_bench.py [--events 20000] [--rounds 2] [--rate 1000] [--seconds 10] [--processes 2]
                                [--same-volunteers]  # every batch names the same 500 people: the worst case
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dramatiq  # noqa: E402
from sqlalchemy import BigInteger, Float, func, insert, select  # noqa: E402
from sqlalchemy.orm import Mapped, mapped_column  # noqa: E402

from servicebank.kernel.db import Base  # noqa: E402


class BaselineInsert(Base):
    """The baseline actor's table: one row per message."""

    __tablename__ = "bench_tally_baseline"

    sent_at: Mapped[float] = mapped_column(Float)
    done_at: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(BigInteger)


def _declare_baseline_actor() -> None:
    # Imported by the worker (`python -m dramatiq bench.tally_bench`): bind the actor to the Redis broker.
    from servicebank.workers import tasks  # noqa: F401  (broker + real actors)
    from servicebank.workers.runtime import worker_db

    @dramatiq.actor(actor_name="bench.insert_one", queue_name="bench", max_retries=0)
    async def insert_one(n: int, sent_at: float) -> None:
        """One PostgreSQL insert per message."""
        async with worker_db().session_scope() as session:
            session.add(BaselineInsert(n=n, sent_at=sent_at, done_at=time.time()))


if __name__ != "__main__":
    _declare_baseline_actor()


def _env(pg_url: str, redis_url: str) -> dict[str, str]:
    from bench.common import service_env

    return service_env(pg_url, redis_url)


# Fresh volunteers for every batch of attendances (a festival: each person checks out once), unless the bench
# is asked for the worst case, where every batch names the same 500 volunteers (--same-volunteers).
SAME_VOLUNTEERS = False


async def _seed(db, attendances: int, *, with_events: bool = True) -> list[int]:  # noqa: ANN001
    """Approved attendances, 500 per activity, and unless told otherwise their events; returns the event ids
    (or the attendance ids). Each activity gets 500 volunteers never seen before, unless SAME_VOLUNTEERS."""
    from servicebank.activities.models import Activity
    from servicebank.checkins.models import Attendance
    from servicebank.kernel.events import OutboxEvent
    from servicebank.ledger.models import HoursRule
    from servicebank.org.models import Community, District, Street
    from servicebank.volunteers.models import Volunteer

    async with db.session_scope() as s:
        if not await s.scalar(select(func.count(District.id))):
            district = District(name="基准区")
            s.add(district)
            await s.flush()
            street = Street(district_id=district.id, name="基准街道")
            s.add(street)
            await s.flush()
            s.add(Community(district_id=district.id, street_id=street.id, name="基准社区", code="BM"))
            s.add(HoursRule(kind="*", daily_cap_minutes=None))
            await s.flush()
        community = (await s.scalars(select(Community))).first()
        start = dt.datetime(2026, 11, 1, 1, tzinfo=dt.UTC)
        per_activity = 500
        ids: list[int] = []
        for first in range(0, attendances, per_activity):
            volunteers = list((await s.scalars(select(Volunteer.id).order_by(Volunteer.id).limit(500))).all())
            if not SAME_VOLUNTEERS or not volunteers:
                known = int(await s.scalar(select(func.count(Volunteer.id))) or 0)
                rows = [{"community_id": community.id, "number": f"BM-{i:07d}", "real_name": f"志愿者{i}",
                         "phone": f"139{i:08d}"} for i in range(known, known + per_activity)]
                volunteers = list((await s.execute(insert(Volunteer).returning(Volunteer.id), rows)).scalars().all())
            activity = Activity(community_id=community.id, kind="cleanup", title="基准活动", starts_at=start,
                                ends_at=start + dt.timedelta(hours=2), status="published")
            s.add(activity)
            await s.flush()
            count = min(per_activity, attendances - first)
            rows = [{"activity_id": activity.id, "volunteer_id": v, "community_id": community.id,
                     "status": "approved", "served_minutes": 60 + (v % 60), "service_date": start.date(),
                     "revision": 1, "checked_in_at": start, "flags": []} for v in volunteers[:count]]
            att_ids = (await s.execute(insert(Attendance).returning(Attendance.id), rows)).scalars().all()
            if not with_events:
                ids += att_ids
                continue
            ids += (await s.execute(insert(OutboxEvent).returning(OutboxEvent.id), [
                {"type": "attendance.approved", "payload": {"attendance_id": a, "revision": 1},
                 "created_at": dt.datetime.now(dt.UTC)} for a in att_ids])).scalars().all()
    return sorted(ids)


def _broker(redis_url: str):  # noqa: ANN202
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=redis_url)
    broker.declare_queue("events")
    broker.declare_queue("bench")
    return broker


def _dispatch(broker, ids: list[int], batch: int = 500) -> None:  # noqa: ANN001
    for start in range(0, len(ids), batch):
        broker.enqueue(dramatiq.Message(queue_name="events", actor_name="events.dispatch",
                                        args=(ids[start:start + batch],), kwargs={}, options={}))


async def _wait_processed(db, ids: list[int], limit_s: float = 600) -> float:  # noqa: ANN001
    from servicebank.kernel.events import OutboxEvent

    deadline = time.monotonic() + limit_s
    low, high = ids[0], ids[-1]
    while time.monotonic() < deadline:
        async with db.session_scope() as s:
            left = await s.scalar(select(func.count()).select_from(OutboxEvent).where(
                OutboxEvent.id.between(low, high), OutboxEvent.processed_at.is_(None)))
        if not left:
            async with db.session_scope() as s:
                last = await s.scalar(select(func.max(OutboxEvent.processed_at)).where(
                    OutboxEvent.id.between(low, high)))
            return last.timestamp()
        await asyncio.sleep(0.05)
    raise RuntimeError("events were not processed in time")


async def _lag(db, ids: list[int]) -> tuple[float, float]:  # noqa: ANN001
    from servicebank.kernel.events import OutboxEvent

    async with db.session_scope() as s:
        rows = (await s.execute(select(OutboxEvent.created_at, OutboxEvent.processed_at).where(
            OutboxEvent.id.in_(ids)))).all()
    lags = sorted((p - c).total_seconds() * 1000 for c, p in rows)
    return lags[len(lags) // 2], lags[min(len(lags) - 1, int(0.99 * len(lags)))]


async def _paced(db, broker, pool: list[int], *, rate: int, seconds: int, tick: float = 0.05) -> list[int]:  # noqa: ANN001
    """Produce `rate` events/s in commits of one tick each, publishing after every commit.

    Each event approves an attendance of `pool` not posted before, as a check-out does: every one is a posting.
    """
    per_tick = max(1, int(rate * tick))
    ids: list[int] = []
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < seconds:
        from servicebank.kernel.events import OutboxEvent

        async with db.session_scope() as s:
            new = (await s.execute(insert(OutboxEvent).returning(OutboxEvent.id), [
                {"type": "attendance.approved", "payload": {"attendance_id": pool[(n + i) % len(pool)]},
                 "created_at": dt.datetime.now(dt.UTC)} for i in range(per_tick)])).scalars().all()
        n += per_tick
        _dispatch(broker, list(new))
        ids += new
        await asyncio.sleep(max(0.0, started + (n / rate) - time.monotonic()))
    return sorted(ids)


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    from bench.common import cpu_seconds

    return {**{name: cpu_seconds(pid) for name, pid in pids.items()}, "generator": time.process_time()}


SERVERS = ("worker", "postgres", "redis")


def _cpu_per_event(before: dict[str, float], after: dict[str, float], events: int) -> dict[str, float]:
    return {k: (after[k] - before[k]) * 1000 / events for k in (*SERVERS, "generator")}


def _cells(cpu: dict[str, float]) -> str:
    return " | ".join(f"{cpu[k]:.2f}" for k in (*SERVERS, "generator"))


async def _tally_round(db, broker, events: int, cpu_of: dict[str, int]) -> tuple[float, dict, int]:  # noqa: ANN001
    ids = await _seed(db, events)
    before = _cpu(cpu_of)
    sent = time.time()
    _dispatch(broker, ids)
    last = await _wait_processed(db, ids)
    return len(ids) / (last - sent), _cpu_per_event(before, _cpu(cpu_of), len(ids)), ids[-1]


async def _baseline_round(db, broker, events: int, cpu_of: dict[str, int]) -> tuple[float, dict]:  # noqa: ANN001
    async with db.session_scope() as s:
        start_n = int(await s.scalar(select(func.coalesce(func.max(BaselineInsert.n), -1))) + 1)
    before = _cpu(cpu_of)
    sent = time.time()
    for n in range(start_n, start_n + events):
        broker.enqueue(dramatiq.Message(queue_name="bench", actor_name="bench.insert_one",
                                        args=(n, time.time()), kwargs={}, options={}))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        async with db.session_scope() as s:
            done, last_done = (await s.execute(select(func.count(), func.max(BaselineInsert.done_at))
                                               .where(BaselineInsert.n >= start_n))).one()
        if done >= events:
            break
        await asyncio.sleep(0.05)
    return events / (last_done - sent), _cpu_per_event(before, _cpu(cpu_of), events)


async def run(events: int, rounds: int, rate: int, seconds: int, profile: Path | None = None,
              profile_steady: bool = False, processes: int = 1) -> str:
    import os
    import statistics

    from bench.common import PostgresServer, RedisServer, start_worker, stop
    from servicebank.config import Settings
    from servicebank.kernel.db import Database

    pg, redis = PostgresServer(), RedisServer()
    worker = None
    rows: list[str] = []
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    try:
        url = pg.create_database("tally_bench")
        db = Database(Settings(database_url=url, redis_url=redis.url, publish_events=False))
        from servicebank import registry  # every domain's models
        await registry.create_tables(db)
        async with db.engine.begin() as conn:
            await conn.run_sync(BaselineInsert.__table__.create, checkfirst=True)
        broker = _broker(redis.url)
        env = _env(url, redis.url)
        worker = start_worker(env, processes=processes, threads=4, modules=("bench.tally_bench",))
        cpu_of = {"worker": worker.pid, "postgres": pg.postmaster_pid(), "redis": redis.proc.pid}
        warm = await _seed(db, 500)  # warm up: worker started, connections open
        _dispatch(broker, warm)
        await _wait_processed(db, warm, limit_s=120)
        # The boards are built once here, so the verify at the end compares what the pushes kept with SQL; and
        # the tables have statistics, as autovacuum gives a production database (without them the planner
        # scans the ledger's tables for every array of ids: a cost no real install has).
        from servicebank.leaderboards.rebuild import rebuild_redis

        await rebuild_redis(db)
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
        for n in range(1, rounds + 1):
            spy = _spy(worker.pid, profile) if profile is not None and n == 1 and not profile_steady else None
            tally_rate, tally_cpu, _ = await _tally_round(db, broker, events, cpu_of)
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes the file when interrupted
                spy.wait(60)
            base_rate, base_cpu = await _baseline_round(db, broker, events, cpu_of)
            ratios.append(tally_rate / base_rate)
            # CPU the servers spend per event hardly moves with the machine's load, unlike the rates.
            cpu_ratios.append(sum(base_cpu[k] for k in SERVERS) / max(sum(tally_cpu[k] for k in SERVERS), 1e-9))
            rows += [f"| {n} | tally backlog (postings, totals, Redis push) | {events} | {tally_rate:,.0f} | "
                     f"{_cells(tally_cpu)} |",
                     f"| {n} | baseline backlog (1 insert per message) | {events} | {base_rate:,.0f} | "
                     f"{_cells(base_cpu)} |"]

        pool = await _seed(db, rate * seconds + rate, with_events=False)
        spy = _spy(worker.pid, profile) if profile is not None and profile_steady else None
        before = _cpu(cpu_of)
        paced_ids = await _paced(db, broker, pool, rate=rate, seconds=seconds)
        await _wait_processed(db, paced_ids)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        paced_cpu = _cpu_per_event(before, _cpu(cpu_of), len(paced_ids))
        paced_p50, paced_p99 = await _lag(db, paced_ids)
        from servicebank.ledger.verify import verify

        report = await verify(db)
        await db.dispose()
        load = os.getloadavg()[0]
    finally:
        stop(worker)
        redis.close()
        pg.close()
    return "\n".join([
        f"Tally vs one-insert Dramatiq actor: PostgreSQL + Redis on 127.0.0.1, one worker `-p {processes} -t 4`, "
        f"{events} events (messages of 500 ids) vs {events} one-insert messages per round, {rounds} alternating "
        f"rounds; 2 cores shared by everything (load average {load:.1f} at the end).",
        "",
        "| round | scenario | events | events/s | worker CPU ms/event | PostgreSQL CPU ms/event | Redis CPU ms/event "
        "| generator CPU ms/event |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Tally / baseline throughput per round: {', '.join(f'{r:.2f}x' for r in ratios)}; "
        f"median **{statistics.median(ratios):.2f}x** (goal ≥ 3.0x). Server CPU (worker + PostgreSQL + Redis) "
        f"per baseline message ÷ per tally event: {', '.join(f'{r:.2f}x' for r in cpu_ratios)}.",
        "",
        "| steady load | events | lag p50 ms | lag p99 ms | worker CPU ms/event | PostgreSQL CPU ms/event | "
        "Redis CPU ms/event | generator CPU ms/event |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| {rate} approvals/s asked for {seconds}s (commits every 50 ms), {len(paced_ids) / seconds:,.0f}/s offered "
        f"| {len(paced_ids)} | {paced_p50:,.0f} | "
        f"{paced_p99:,.0f} | {_cells(paced_cpu)} |",
        "",
        f"Ledger verify after the run: {'ok' if report.ok else report.as_dict()}.",
    ])


def _spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy recording the worker and its processes (pip install py-spy; `python -m bench.spy_summary FILE`)."""
    import shutil

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--subprocesses", "--format", "raw", "--rate", "200",
                             "--output", str(out), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--profile", type=Path, default=None, help="py-spy's stacks of the worker in the first tally round")
    parser.add_argument("--profile-steady", action="store_true", help="profile the steady-load phase instead")
    parser.add_argument("--processes", type=int, default=1, help="worker processes (-p), 4 threads each")
    parser.add_argument("--same-volunteers", action="store_true",
                        help="the worst case: every batch of 500 names the same 500 volunteers (all on one day)")
    args = parser.parse_args()
    global SAME_VOLUNTEERS
    SAME_VOLUNTEERS = args.same_volunteers
    print(asyncio.run(run(args.events, args.rounds, args.rate, args.seconds, args.profile, args.profile_steady,
                          args.processes)))


if __name__ == "__main__":
    main()
