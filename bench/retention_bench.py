"""Redis memory of a city's leaderboards before and after retention, and the rebuild one process vs. the workers.

Starts a throwaway PostgreSQL and Redis on 127.0.0.1, loads a synthetic city with bench/city.py (the
shape of the benchmark harness's city, scaled down, with more months of history), then:
1. builds every board, every month kept (SERVICEBANK_LEADERBOARD_MONTHS large): Redis INFO memory
   used_memory, keys and time: the baseline;
2. prunes the months older than 13 (`leaderboards prune`) and measures again, then rebuilds with
   retention from an empty Redis (no fragmentation left by the prune) and measures a third time;
3. times the rebuild of the kept boards in one process and as a parallel rebuild by `dramatiq` worker
   processes (one message per batch of scopes), interleaved, with each side's CPU next to the time;
4. times a read of an aged month (answered from SQL) next to a read of a kept one (Redis).

    python bench/retention_bench.py [--volunteers 100000] [--months 24] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _used_memory(client) -> int:  # noqa: ANN001
    # UNLINK frees in the background: wait until Redis has nothing left to free.
    deadline = time.monotonic() + 60
    while client.info("memory").get("lazyfree_pending_objects", 0) and time.monotonic() < deadline:
        time.sleep(0.2)
    return int(client.info("memory")["used_memory"])


def _boards(client) -> tuple[int, int]:  # noqa: ANN001
    """(board keys, members in them)."""
    keys = members = 0
    for key in client.scan_iter(match="sb:lb:*", count=5000):
        if client.type(key) == b"zset":
            keys += 1
            members += client.zcard(key)
    return keys, members


async def _timed_read(db, period: str, repeat: int = 20) -> float:  # noqa: ANN001
    """Median ms of a city top-100 plus one volunteer's rank."""
    from servicebank.leaderboards.repository import read_board

    samples = []
    async with db.sessionmaker() as session:
        for i in range(repeat):
            started = time.perf_counter()
            await read_board(session, scope="city", period=period, by="hours", limit=100, volunteer_id=1 + 7 * i)
            samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)[len(samples) // 2]


async def run(volunteers: int, months: int, workers: int) -> str:
    import redis as redis_lib

    from bench.city import SHAPES, load_city
    from bench.common import PostgresServer, RedisServer, cpu_seconds, service_env, start_worker, stop
    from servicebank.config import Settings
    from servicebank.kernel.db import Database
    from servicebank.leaderboards.prune import prune_aged_months
    from servicebank.leaderboards.rebuild import rebuild_redis

    scale = volunteers / SHAPES["full"].volunteers
    shape = dataclasses.replace(SHAPES["full"], volunteers=volunteers, communities=max(4, round(400 * scale)),
                                streets=max(1, round(20 * scale)),
                                ledger_entries=round(10_000_000 * scale * months / 6), months=months)
    pg, redis = PostgresServer(), RedisServer()
    worker = None
    out: list[str] = []
    try:
        url = pg.create_database("retention_bench")
        city = await load_city(url, shape, redis_url=None, progress=lambda line: print(line, file=sys.stderr))
        client = redis_lib.Redis.from_url(redis.url)
        kept = Settings(database_url=url, redis_url=redis.url, publish_events=False)
        everything = Database(kept.replace(leaderboard_months=10 * months))
        db = Database(kept)
        client.flushall()
        empty = _used_memory(client)

        print("bench: every month into Redis", file=sys.stderr)
        started = time.perf_counter()
        await rebuild_redis(everything)
        all_s = time.perf_counter() - started
        all_mem, (all_keys, all_members) = _used_memory(client) - empty, _boards(client)
        deleted = prune_aged_months(kept)
        pruned_mem, (pruned_keys, pruned_members) = _used_memory(client) - empty, _boards(client)
        client.flushall()
        started = time.perf_counter()
        await rebuild_redis(db)
        kept_s = time.perf_counter() - started
        fresh_mem = _used_memory(client) - empty

        # One process vs. the workers, interleaved: one, parallel, one, parallel.
        worker = start_worker(service_env(url, redis.url, SERVICEBANK_MODE="production"), processes=workers,
                              threads=1)
        time.sleep(5)  # the workers import the actors
        send = _redis_sender(redis.url)
        await _parallel_rebuild(db, send, 2 * workers)  # a warm-up: the workers' first connections and imports
        print("bench: one process vs. the workers", file=sys.stderr)
        single, parallel = [], []
        pids = {"postgres": pg.postmaster_pid(), "redis": redis.proc.pid, "workers": worker.pid}
        for _ in range(2):
            client.flushall()
            before = {name: cpu_seconds(pid) for name, pid in pids.items()} | {"bench": time.process_time()}
            started = time.perf_counter()
            await rebuild_redis(db)
            single.append(time.perf_counter() - started)
            single_cpu = _spent(before, pids)
            client.flushall()
            before = {name: cpu_seconds(pid) for name, pid in pids.items()} | {"bench": time.process_time()}
            started = time.perf_counter()
            await _parallel_rebuild(db, send, 2 * workers)
            parallel.append(time.perf_counter() - started)
            parallel_cpu = _spent(before, pids)
        aged = city.months[0]
        recent = city.months[-1]
        sql_ms = await _timed_read(db, aged)
        redis_ms = await _timed_read(db, recent)
        await everything.dispose()
        await db.dispose()
    finally:
        stop(worker)
        redis.close()
        pg.close()
    mb = 1024 * 1024
    months_kept = sum(1 for m in city.months if m >= _oldest(city.months[-1], 13))
    out += [
        f"Leaderboard retention on a synthetic city: {shape.volunteers:,} volunteers, {shape.communities} "
        f"communities, {shape.streets} streets, {shape.months} months of history ({city.months[0]} to "
        f"{city.months[-1]}), {city.counts.get('ledger_service_credit', 0):,} service credits; "
        f"{platform.machine()}, {_cores()} cores shared, PostgreSQL + Redis on 127.0.0.1.",
        "",
        "| Redis leaderboards | board keys | members | used_memory MB | ratio |",
        "|---|---:|---:|---:|---:|",
        f"| every month kept ({shape.months} months + years + all time) | {all_keys:,} | {all_members:,} | "
        f"{all_mem / mb:,.1f} | 1.00 |",
        f"| after `leaderboards prune` (13 months: {months_kept} of this history) | {pruned_keys:,} | "
        f"{pruned_members:,} | {pruned_mem / mb:,.1f} | {pruned_mem / all_mem:.2f} |",
        f"| rebuilt with retention into an empty Redis | {pruned_keys:,} | {pruned_members:,} | "
        f"{fresh_mem / mb:,.1f} | {fresh_mem / all_mem:.2f} |",
        "",
        f"Prune deleted {deleted:,} keys. Rebuild, every month: {all_s:.1f} s; with retention: {kept_s:.1f} s.",
        "",
        "| rebuild of the kept boards | run 1 s | run 2 s | ratio to one process |",
        "|---|---:|---:|---:|",
        f"| one process (`rebuild_redis`) | {single[0]:.1f} | {single[1]:.1f} | 1.00 |",
        f"| {workers} worker processes, {2 * workers + 2} messages | {parallel[0]:.1f} | {parallel[1]:.1f} | "
        f"{(parallel[0] + parallel[1]) / (single[0] + single[1]):.2f} |",
        "",
        f"CPU seconds of the second runs, one process: {_cpu_text(single_cpu)}; parallel: {_cpu_text(parallel_cpu)} "
        "(the bench process also polls the job while the workers work). City top 100 + one rank, median of 20: "
        f"aged month {aged} from SQL {sql_ms:.1f} ms, kept month {recent} from Redis {redis_ms:.1f} ms.",
    ]
    return "\n".join(out)


async def _parallel_rebuild(db, send, batches: int) -> None:  # noqa: ANN001
    from servicebank.leaderboards.parallel import job_status, start_parallel_rebuild

    started = time.perf_counter()
    job = await start_parallel_rebuild(db, batches=batches, send=send)
    while not job_status(db, job)["finished"]:
        if time.perf_counter() - started > 1200:
            raise RuntimeError(f"parallel rebuild stuck: {job_status(db, job)}")
        await asyncio.sleep(0.1)


def _redis_sender(url: str):  # noqa: ANN202
    """Send the batches to the workers' Redis queue (this process's own broker is the embedded stub)."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=url)

    def send(job: str, index: int, scopes: list[str]) -> None:
        broker.enqueue(dramatiq.Message(queue_name="maintenance", actor_name="points.rebuild_leaderboard_scopes",
                                        args=(job, index, scopes), kwargs={}, options={}))

    return send


def _spent(before: dict[str, float], pids: dict[str, int]) -> dict[str, float]:
    from bench.common import cpu_seconds

    now = {name: cpu_seconds(pid) for name, pid in pids.items()} | {"bench": time.process_time()}
    return {name: now[name] - before[name] for name in now}


def _cpu_text(cpu: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())


def _oldest(month: str, count: int) -> str:
    import datetime as dt

    from servicebank.leaderboards.retention import oldest_month

    # The history ends the month before the run: the current month is the one after the last.
    year, mon = int(month[:4]), int(month[5:])
    year, mon = (year, mon + 1) if mon < 12 else (year + 1, 1)
    return oldest_month(dt.date(year, mon, 1), count)


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(asyncio.run(run(args.volunteers, args.months, args.workers)))


if __name__ == "__main__":
    main()
