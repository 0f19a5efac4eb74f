"""The benchmark harness: a city's data, the festival and the city-size reads, on throwaway servers.

    python -m bench.run [--scenario festival|city|all] [--size tiny|small|full] [--festival tiny|small|full]
                        [--json] [--no-docs] [--keep]

Starts PostgreSQL and Redis (tests/servers.py, loopback only), loads the city with COPY, starts the
API (uvicorn, one process, production mode) and a Dramatiq worker as separate processes, runs the
scenarios with progress on stderr, prints the figures (or JSON with --json), saves them to
bench/results/<size>.json and rewrites docs/benchmarks.md from every benchmark's latest results.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import ROOT, PostgresServer, RedisServer, peak_rss_mb, service_env, start_api, start_worker, stop
from tests.servers import RedisClusterServer, ReplicaServer

RESULTS = ROOT / "bench" / "results"
TARGET_RSS_MB = 300.0
READS = {"full": (300, 4), "small": (200, 4), "tiny": (20, 4)}
READ_SAMPLE = {"full": 2000, "small": 500, "tiny": 20}


class Progress:
    def __init__(self, quiet: bool = False) -> None:
        self.origin = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.origin:7.1f}s] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 "unknown")
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {"cores": os.cpu_count(), "cpu": model, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": sys.version.split()[0], "load_average_start": os.getloadavg()}


def rss_mb(pid: int) -> float:
    """The current resident set of a process and its children, in MB."""
    from bench.common import _tree

    total = 0
    for p in _tree(pid):
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def _read_processes(api: Any, pg: Any, redis: Any, standby: Any = None) -> dict[str, int]:
    """The processes whose CPU per request the city reads report (one Redis: its process; a cluster's nodes are not
    counted)."""
    processes = {"api": api.pid, "postgres": pg.postmaster_pid()}
    if standby is not None:
        processes["replica"] = standby.postmaster_pid()
    if getattr(redis, "proc", None) is not None:
        processes["redis"] = redis.proc.pid
    return processes


async def run(scenario: str, size: str, progress: Progress, *, pg: Any = None, redis: Any = None,
              after: Callable[[str, str], Awaitable[None]] | None = None,
              festival_size: str | None = None, window_s: float | None = None, replica: bool = False,
              redis_cluster: bool = False, keep: bool = False) -> dict[str, Any]:
    """Load the city and run the scenarios; servers given by the caller are left running for it.

    `replica`: a streaming replica of the loaded city (`pg_basebackup -R`) serves the read-only pages and reports, as
    SERVICEBANK_DATABASE_REPLICA_URL does in production; `redis_cluster`: the boards and the queue on a 3-master Redis
    Cluster instead of one Redis (the scale-out deployment of docs/deploy.md)."""
    from bench.city import SHAPES, load_city
    from bench.copyload import loading_connection
    from bench.festival import FESTIVALS, festival_volunteers, prepare, run_festival
    from bench.logins import create_logins
    from bench.reads import run_reads

    started = time.perf_counter()
    out: dict[str, Any] = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "size": size,
                           "scenario": scenario, "machine": machine()}
    own_servers = pg is None
    if own_servers:
        pg, redis = PostgresServer(), (RedisClusterServer() if redis_cluster else RedisServer())
    api = worker = standby = None
    try:
        url = pg.create_database("servicebank_bench")
        progress(f"loading the {size} city")
        city = await load_city(url, SHAPES[size], redis_url=redis.url, progress=progress)
        out["city"] = {"shape": city.shape.__dict__, "months": city.months, "counts": city.counts,
                       "timings_s": {k: round(v, 1) for k, v in city.timings.items()}}
        # The full festival fits in the small city's first 20 communities: a quicker way to study it.
        fshape = FESTIVALS[festival_size or size]
        if window_s is not None:  # the same people arriving faster (issue 18: 2,000 in 15 s is 4x the full window)
            fshape = dataclasses.replace(fshape, window_s=window_s)
        conn = await loading_connection(url)
        # Logins: the festival's volunteers, a random sample of the city, one organiser per community.
        rnd = random.Random(11)
        sample = rnd.sample(range(1, city.shape.volunteers + 1), min(READ_SAMPLE[size], city.shape.volunteers))
        festival_people = [v for vs in festival_volunteers(city, fshape).values() for v in vs]
        logins = await create_logins(conn, volunteer_ids=sorted(set(sample) | set(festival_people)),
                                     community_ids=list(range(1, city.shape.communities + 1)))
        reads_logins = type(logins)(volunteer_tokens={v: logins.volunteer_tokens[v] for v in sample},
                                    organiser_tokens=logins.organiser_tokens)
        festival = await prepare(conn, city, fshape) if scenario in ("festival", "all") else None
        await conn.execute("ANALYZE")
        partitioned = bool(await conn.fetchval(
            "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'ledger_entry'::regclass"))
        await conn.close()
        extra = {}
        if replica:
            progress("copying the city to a streaming replica (pg_basebackup -R)")
            standby = ReplicaServer(pg)
            standby.catch_up(pg, timeout=1800)
            extra["SERVICEBANK_DATABASE_REPLICA_URL"] = standby.url("servicebank_bench")
        out["topology"] = {"ledger_partitioned": partitioned, "replica": replica,
                           "redis": "cluster of 3 masters" if redis_cluster else "one server"}
        out["setup_s"] = round(time.perf_counter() - started, 1)
        env = service_env(url, redis.url, SERVICEBANK_MODE="production", SERVICEBANK_SECURE_COOKIES="false",
                          SERVICEBANK_JSON_LOGS="false", **extra)
        progress("starting the API (uvicorn, 1 process) and the worker (dramatiq, 1 process x 8 threads)")
        api, base = start_api(env, app="bench.apps:make_app")
        worker = start_worker(env)
        scenarios_started = time.perf_counter()
        if festival is not None:
            mark = time.perf_counter()
            out["festival"] = await run_festival(base_url=base, db_url=url, city=city, logins=logins,
                                                 festival=festival, shape=fshape, progress=progress,
                                                 cpu_of={"api": api.pid, "worker": worker.pid,
                                                         "postgres": pg.postmaster_pid()})
            out["festival"]["seconds"] = round(time.perf_counter() - mark, 1)
            out["memory"] = {"api_peak_mb": peak_rss_mb(api.pid), "worker_peak_mb": peak_rss_mb(worker.pid),
                             "api_now_mb": rss_mb(api.pid), "worker_now_mb": rss_mb(worker.pid),
                             "target_mb": TARGET_RSS_MB}
        if scenario in ("city", "all"):
            mark = time.perf_counter()
            requests, concurrency = READS[size]
            out["reads"] = {"requests": requests, "concurrency": concurrency, "month": city.months[-1],
                            "results": await run_reads(base_url=base, city=city, logins=reads_logins,
                                                       requests=requests, concurrency=concurrency,
                                                       progress=progress,
                                                       cpu_of=_read_processes(api, pg, redis, standby))}
            out["reads"]["seconds"] = round(time.perf_counter() - mark, 1)
            out["memory_after_reads"] = {"api_peak_mb": peak_rss_mb(api.pid)}
            if keep:
                api, worker = await _kept(out, env=env, api=api, worker=worker, url=url, redis=redis, standby=standby,
                                          pg=pg, city=city, logins=reads_logins, progress=progress)
        out["scenarios_s"] = round(time.perf_counter() - scenarios_started, 1)
        stop(worker)
        stop(api)
        if after is not None:
            await after(url, redis.url)
    finally:
        stop(worker)
        stop(api)
        if standby is not None:
            standby.close()
        if own_servers:
            redis.close()
            pg.close()
    out["total_s"] = round(time.perf_counter() - started, 1)
    out["machine"]["load_average_end"] = os.getloadavg()
    return out


async def _kept(out: dict[str, Any], *, env: dict[str, str], api: Any, worker: Any, url: str, redis: Any,
                standby: Any, pg: Any, city: Any, logins: Any, progress: Progress) -> tuple[Any, Any]:
    """--keep: run the reads again on the same city whenever standard input says `reads`, until `quit`."""
    from bench.common import table
    from bench.reads import run_reads

    requests, concurrency = READS[out["size"]]
    while True:
        progress(f"kept: primary {url}, replica {standby.url('servicebank_bench') if standby else '-'}, "
                 f"redis {redis.url}, API pid {api.pid}; type `reads` or `quit`")
        command = (await asyncio.to_thread(sys.stdin.readline)).strip()
        if command in ("", "quit"):
            return api, worker
        if command != "reads":
            progress(f"kept: unknown command {command!r}")
            continue
        stop(worker)
        stop(api)
        api, base = start_api(env, app="bench.apps:make_app")
        worker = start_worker(env)
        results = await run_reads(base_url=base, city=city, logins=logins, requests=requests,
                                  concurrency=concurrency, progress=progress,
                                  cpu_of=_read_processes(api, pg, redis, standby))
        print(table(results), flush=True)
        for r in results:  # where the slowest requests fell: a tail at the start is a cold pool, not the read
            slowest = sorted(range(len(r.latencies_ms)), key=lambda i: -r.latencies_ms[i])[:4]
            print(f"{r.name}: cpu ms {r.cpu_ms}; slowest (position: ms) "
                  + ", ".join(f"{i}: {r.latencies_ms[i]:.0f}" for i in slowest), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Service Bank benchmark harness (loopback only).")
    parser.add_argument("--scenario", choices=("festival", "city", "all"), default="all")
    parser.add_argument("--size", choices=("tiny", "small", "full"), default="small")
    parser.add_argument("--festival", choices=("tiny", "small", "full"), default=None,
                        help="the festival's shape, when not the city's size (e.g. the full festival in a small city)")
    parser.add_argument("--window", type=float, default=None,
                        help="seconds over which the festival's check-ins (and check-outs) arrive, instead of the "
                             "shape's (full: 60; --window 15 is four times the rate)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--replica", action="store_true", help="read-only pages and reports on a streaming replica")
    parser.add_argument("--redis-cluster", action="store_true", help="a 3-master Redis Cluster instead of one Redis")
    parser.add_argument("--keep", action="store_true",
                        help="after the reads, keep the city and its servers and run the reads again on `reads` from "
                             "standard input (restarting the API), until `quit`; nothing is saved")
    args = parser.parse_args(argv)
    from bench.report import as_json, render_summary, write_docs

    results = asyncio.run(run(args.scenario, args.size, Progress(quiet=False), festival_size=args.festival,
                              window_s=args.window, replica=args.replica, redis_cluster=args.redis_cluster,
                              keep=args.keep))
    data = as_json(results)
    if args.keep:  # a study of changes on a kept city: the figures printed are the record
        return 0
    print(json.dumps(data, indent=1, ensure_ascii=False) if args.json else render_summary(data))
    if args.replica or args.redis_cluster:  # the scale-out topology: kept beside the size's figures, docs untouched
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{args.size}-scaleout.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        return 0
    if args.festival not in (None, args.size) or args.window is not None:  # a study: not saved, docs untouched
        return 0
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.size}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    if not args.no_docs and args.size != "tiny":
        write_docs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
