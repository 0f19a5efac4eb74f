"""Shared pieces of the benchmarks: throwaway servers, app/worker processes, a bounded HTTP load
generator with latency percentiles, and peak memory of processes. Loopback only (127.0.0.1)."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import PostgresServer, RedisServer, free_port  # noqa: E402

__all__ = ["PostgresServer", "RedisServer", "free_port", "LoadResult", "run_load", "start_api", "start_worker",
           "stop", "peak_rss_mb", "wait_http", "ROOT", "service_env"]


def service_env(database_url: str, redis_url: str | None, **extra: str) -> dict[str, str]:
    """Environment for our processes: production-like settings on loopback servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_DATABASE_URL=database_url, SERVICEBANK_SECRET_KEY="bench-" + "k" * 40,
               SERVICEBANK_DATA_KEY="bench-data-" + "d" * 40,
               SERVICEBANK_EMBEDDED_WORKER="0", PYTHONPATH=str(ROOT), **extra)
    if redis_url:
        env["SERVICEBANK_REDIS_URL"] = redis_url
    return env


def start_api(env: dict[str, str], *, app: str = "servicebank.app:create_app", factory: bool = True,
              workers: int = 1, options: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], str]:
    """Start uvicorn on a free loopback port; returns the process and its base URL. `options`: more uvicorn
    flags (e.g. ("--loop", "uvloop", "--http", "httptools"))."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
           "--log-level", "warning", "--workers", str(workers), *options]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/health/live" if factory else base, proc)
    return proc, base


def start_worker(env: dict[str, str], *, processes: int = 1, threads: int = 8,
                 modules: tuple[str, ...] = ("servicebank.workers.tasks",)) -> subprocess.Popen[bytes]:
    # The consumer's longest sleep between looks at an idle queue, as `servicebank worker` sets it (config.py).
    env = {"dramatiq_worker_timeout": env.get("SERVICEBANK_WORKER_POLL_MS", "100"), **env}
    return subprocess.Popen([sys.executable, "-m", "dramatiq", *modules, "-p", str(processes), "-t", str(threads)],
                            cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_http(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                pids.extend(_tree(int(entry.name)))
    return pids


def peak_rss_mb(pid: int) -> float:
    """Largest peak resident set (VmHWM) among a process and its children, in MB."""
    peak = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return round(peak / 1024, 1)


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    errors: int
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    # CPU milliseconds per request of the client and of the measured processes (lean loads only).
    cpu_ms: dict[str, float] = field(default_factory=dict)
    # Open-loop runs: the slowest 1% as (seconds from the run's start when it was due, ms), by time: whether
    # the tail is one stall (due together) or spread out.
    slowest: list[tuple[float, float]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p99(self) -> float:
        return self.pct(0.99)


async def run_load(name: str, make_request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]], *,
                   total: int, concurrency: int, ok: Callable[[httpx.Response], bool] | None = None,
                   base_url: str) -> LoadResult:
    """Send `total` requests with at most `concurrency` in flight; bounded in count by construction."""
    ok = ok or (lambda r: r.status_code < 400)
    result = LoadResult(name=name, requests=total, seconds=0.0, errors=0)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        async def runner() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    response = await make_request(client, i)
                    good = ok(response)
                    result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
                except httpx.HTTPError:
                    good = False
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                if not good:
                    result.errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(runner() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result


async def run_lean_load(name: str, make_request: Callable[[Any, int], Awaitable[Any]], *, total: int,
                        concurrency: int, base_url: str, cpu_of: dict[str, int] | None = None) -> LoadResult:
    """run_load's closed loop over bench/rawhttp.py (tens of microseconds of client CPU per request, where httpx
    spends milliseconds and sets the pace); `make_request` gets a LeanClient. Records the client's CPU per
    request and that of each process in `cpu_of` (name: pid)."""
    from bench.rawhttp import LeanClient

    result = LoadResult(name=name, requests=total, seconds=0.0, errors=0)
    next_index = iter(range(total))
    meter = CpuMeter(cpu_of or {})

    async def runner() -> None:
        client = LeanClient(base_url)
        try:
            for i in next_index:
                started = time.perf_counter()
                try:
                    response = await make_request(client, i)
                    good = response.status_code < 400
                    result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
                except (OSError, asyncio.IncompleteReadError):
                    good = False
                    await client.aclose()
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                if not good:
                    result.errors += 1
        finally:
            await client.aclose()

    cpu_before, client_before = meter.start(), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(runner() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    result.cpu_ms = {"client": round((time.process_time() - client_before) * 1000 / max(total, 1), 3),
                     **meter.per_unit(cpu_before, total)}
    return result


def table(rows: list[LoadResult]) -> str:
    lines = ["| scenario | requests | req/s | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.name} | {r.requests} | {r.rate:,.0f} | {r.p50:.1f} | {r.p99:.1f} | {r.errors} |")
    return "\n".join(lines)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its children, in seconds.

    Unlike requests per second, CPU per request hardly moves when other work shares the machine,
    so the benches report it next to the throughput.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, and cutime, cstime: the time of children that exited (a PostgreSQL backend or
        # autovacuum worker), which would otherwise vanish from the sum (fields 14-17 of proc(5)).
        total += int(stat[11]) + int(stat[12]) + int(stat[13]) + int(stat[14])
    return total / ticks


class CpuMeter:
    """CPU milliseconds per unit of work (a request, a scan) of each named process and its children."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def start(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def per_unit(self, started: dict[str, float], units: int) -> dict[str, float]:
        return {name: round((cpu_seconds(pid) - started[name]) * 1000 / max(units, 1), 2)
                for name, pid in self.pids.items()}
