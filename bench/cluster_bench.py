"""The leaderboards on a 3-master Redis Cluster against one Redis: rebuild, memory, the push and the reads.

Starts a throwaway PostgreSQL, one Redis and a Redis Cluster of three masters (tests/servers.py) on
127.0.0.1, loads a synthetic city with bench/city.py, then, interleaved (one Redis, cluster, one Redis,
cluster):
1. rebuilds every kept board from the period totals: one Redis and the cluster with the default staging
   (PostgreSQL groups the boards, stage_in_sql), and the cluster row by row; time, Redis memory (summed
   over the masters) and each side's CPU;
2. pushes the totals of batches of volunteers as the tally does after a posting (push.run_push);
3. reads a city and a community board (top 100 + one rank) through repository.read_board.

    python bench/cluster_bench.py [--volunteers 40000] [--months 6] [--batch 200]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _memory(clients: list[Any]) -> int:
    total = 0
    for client in clients:
        deadline = time.monotonic() + 60
        while client.info("memory").get("lazyfree_pending_objects", 0) and time.monotonic() < deadline:
            time.sleep(0.2)
        total += int(client.info("memory")["used_memory"])
    return total


def _node_clients(ports: list[int]) -> list[Any]:
    import redis

    return [redis.Redis(host="127.0.0.1", port=port) for port in ports]


def _flush(clients: list[Any]) -> None:
    for client in clients:
        client.flushall()


def _cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    from bench.common import cpu_seconds

    return {name: sum(cpu_seconds(pid) for pid in group) for name, group in pids.items()} | {
        "bench": time.process_time()}


def _since(before: dict[str, float], pids: dict[str, list[int]]) -> str:
    now = _cpu(pids)
    return ", ".join(f"{name} {now[name] - before[name]:.1f}" for name in now)


async def _push_batches(db: Any, volunteer_ids: list[int], batch: int) -> tuple[float, float]:
    """Median ms per push of `batch` volunteers' totals (every kept period), and the bench's CPU ms per push."""
    from sqlalchemy import select

    from servicebank.leaderboards.push import push_args, run_push, scopes_of, sync_client
    from servicebank.ledger.models import PeriodTotal

    client = sync_client(db.settings.redis_url)
    samples = []
    cpu_started = time.process_time()
    for start in range(0, len(volunteer_ids), batch):
        ids = volunteer_ids[start:start + batch]
        async with db.session_scope() as session:
            rows = await session.execute(select(PeriodTotal.volunteer_id, PeriodTotal.period, PeriodTotal.version,
                                                PeriodTotal.minutes, PeriodTotal.points)
                                         .where(PeriodTotal.volunteer_id.in_(ids)))
            latest = {(vid, period): (version, minutes, points) for vid, period, version, minutes, points in rows}
            scopes = await session.run_sync(scopes_of, ids)
        args = push_args(latest, scopes)
        started = time.perf_counter()
        run_push(client, args)
        samples.append((time.perf_counter() - started) * 1000)
    pushes = max(1, len(samples))
    return statistics.median(samples), (time.process_time() - cpu_started) * 1000 / pushes


async def _reads(db: Any, community: int, repeat: int = 20) -> tuple[float, float]:
    """Median ms of a top 100 + one rank: the city board, a community board."""
    from servicebank.leaderboards.repository import read_board

    medians = []
    async with db.sessionmaker() as session:
        for scope in ("city", f"community:{community}"):
            samples = []
            for i in range(repeat):
                started = time.perf_counter()
                await read_board(session, scope=scope, period="all", by="hours", limit=100, volunteer_id=1 + 7 * i)
                samples.append((time.perf_counter() - started) * 1000)
            medians.append(statistics.median(samples))
    return medians[0], medians[1]


async def run(volunteers: int, months: int, batch: int) -> str:
    from bench.city import SHAPES, load_city
    from bench.common import PostgresServer, RedisServer
    from servicebank.config import Settings
    from servicebank.kernel.db import Database
    from servicebank.leaderboards.rebuild import rebuild_redis, stage_row_by_row
    from tests.servers import RedisClusterServer

    scale = volunteers / SHAPES["full"].volunteers
    shape = dataclasses.replace(SHAPES["full"], volunteers=volunteers, communities=max(4, round(400 * scale)),
                                streets=max(1, round(20 * scale)),
                                ledger_entries=round(10_000_000 * scale * months / 6), months=months)
    pg, single, cluster = PostgresServer(), RedisServer(), RedisClusterServer()
    try:
        url = pg.create_database("cluster_bench")
        city = await load_city(url, shape, redis_url=None, progress=lambda line: print(line, file=sys.stderr))
        base = Settings(database_url=url, publish_events=False)
        one = Database(base.replace(redis_url=single.url))
        many = Database(base.replace(redis_url=cluster.url))
        one_nodes, cluster_nodes = _node_clients([single.port]), _node_clients(cluster.ports)
        assert single.proc is not None
        pids = {"postgres": [pg.postmaster_pid()], "redis": [single.proc.pid] + [p.pid for p in cluster.procs.values()]}
        empty = {"one": _memory(one_nodes), "cluster": _memory(cluster_nodes)}
        sides = [("one Redis, stage_in_sql (default)", one, one_nodes, None, "one"),
                 ("3-master cluster, stage_in_sql (default)", many, cluster_nodes, None, "cluster"),
                 ("3-master cluster, stage_row_by_row", many, cluster_nodes, stage_row_by_row, "cluster")]
        seconds: dict[str, list[float]] = {name: [] for name, *_ in sides}
        memory: dict[str, int] = {}
        cpu: dict[str, str] = {}
        for _ in range(2):
            for name, db, nodes, stage, kind in sides:
                print(f"bench: rebuild, {name}", file=sys.stderr)
                _flush(nodes)
                before = _cpu(pids)
                started = time.perf_counter()
                await rebuild_redis(db, stage=stage)
                seconds[name].append(time.perf_counter() - started)
                cpu[name] = _since(before, pids)
                memory[name] = _memory(nodes) - empty[kind]
        # Every volunteer's totals pushed again, in batches, interleaved by batch size.
        ids = list(range(1, volunteers + 1, max(1, volunteers // 2000)))
        pushes: dict[str, list[tuple[float, float]]] = {"one": [], "cluster": []}
        reads: dict[str, list[tuple[float, float]]] = {"one": [], "cluster": []}
        for _ in range(2):
            for kind, db in (("one", one), ("cluster", many)):
                pushes[kind].append(await _push_batches(db, ids, batch))
                reads[kind].append(await _reads(db, city.community_of(1)))
        await one.dispose()
        await many.dispose()
    finally:
        cluster.close()
        single.close()
        pg.close()
    mb = 1024 * 1024
    baseline = sum(seconds[sides[0][0]])
    out = [
        f"Leaderboards on one Redis and on a 3-master Redis Cluster: {shape.volunteers:,} volunteers, "
        f"{shape.communities} communities, {shape.streets} streets, {shape.months} months "
        f"({city.months[0]} to {city.months[-1]}), {city.counts.get('ledger_service_credit', 0):,} service credits; "
        f"{platform.machine()}, {_cores()} cores shared, PostgreSQL + Redis on 127.0.0.1.",
        "",
        "| rebuild of the kept boards | run 1 s | run 2 s | ratio | used_memory MB | CPU s (run 2) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, *_ in sides:
        out.append(f"| {name} | {seconds[name][0]:.1f} | {seconds[name][1]:.1f} | "
                   f"{sum(seconds[name]) / baseline:.2f} | {memory[name] / mb:,.1f} | {cpu[name]} |")

    def pair(values: list[tuple[float, float]], i: int) -> str:
        return " / ".join(f"{v[i]:.2f}" for v in values)

    out += [
        "",
        f"| after a posting | push of {batch} volunteers, median ms (run 1 / 2) | bench CPU ms per push | "
        "read city top 100 + rank, ms | read community top 100 + rank, ms |",
        "|---|---:|---:|---:|---:|",
        f"| one Redis | {pair(pushes['one'], 0)} | {pair(pushes['one'], 1)} | {pair(reads['one'], 0)} | "
        f"{pair(reads['one'], 1)} |",
        f"| cluster | {pair(pushes['cluster'], 0)} | {pair(pushes['cluster'], 1)} | {pair(reads['cluster'], 0)} | "
        f"{pair(reads['cluster'], 1)} |",
    ]
    return "\n".join(out)


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=40_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    print(asyncio.run(run(args.volunteers, args.months, args.batch)))


if __name__ == "__main__":
    main()
