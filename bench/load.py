"""Open-loop load: requests started on a schedule (arrivals), not when the previous one finished.

A festival is people arriving: a slow server does not slow their arrival, it makes them wait.
`run_paced` starts request i at `i * seconds / total` and measures each from its scheduled start,
so queueing inside our server shows in the latency. `Readers` keeps a steady trickle of reads
going in the background until told to stop. Both are bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx

from bench.common import LoadResult

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


# What a request maker may raise when the server drops or refuses a connection (the lean client's or httpx's).
TRANSPORT_ERRORS = (httpx.HTTPError, OSError, asyncio.IncompleteReadError)


def client_for(base_url: str, connections: int = 200) -> Any:
    """The lean client (bench/rawhttp.py) over up to `connections` keep-alive connections: httpx spent about 5 ms
    of CPU per request on the cores the servers use, so at the festival's rates it set the pace (issue 18)."""
    from bench.rawhttp import LeanPool

    return LeanPool(base_url, size=connections)


def _record(result: LoadResult, started: float, response: httpx.Response | None,
            ok: Callable[[httpx.Response], bool]) -> float:
    """Count one answer (or its failure) in `result`; its latency in ms back."""
    latency = (time.perf_counter() - started) * 1000
    result.latencies_ms.append(latency)
    if response is None:
        result.errors += 1
        return latency
    result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
    if not ok(response):
        result.errors += 1
        if len(result.samples) < 5:
            result.samples.append(f"{response.status_code} {response.text[:300]}")
    return latency


_quiet_depth = 0


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """No cyclic garbage collection in this (client) process while a wave is measured.

    The harness holds the city's logins and results, so a full collection here took 60-100 ms; one fell at
    the start of the festival's check-in wave and every request scheduled meanwhile was sent late, which the
    open-loop latency (rightly) counts: the 200 ms check-in p99 of 2026-12-06 was partly the client's.
    What exists before the wave is frozen out of the collector's reach; the wave's own garbage waits.
    """
    global _quiet_depth
    if _quiet_depth == 0:
        gc.collect()
        gc.freeze()
        gc.disable()
    _quiet_depth += 1
    try:
        yield
    finally:
        _quiet_depth -= 1
        if _quiet_depth == 0:
            gc.enable()
            gc.unfreeze()


async def run_paced(name: str, make_request: Request, *, total: int, seconds: float, client: httpx.AsyncClient,
                    ok: Callable[[httpx.Response], bool] | None = None,
                    on_done: Callable[[int, httpx.Response | None], None] | None = None) -> LoadResult:
    """Start `total` requests evenly over `seconds`; latency counts from each request's scheduled start."""
    ok = ok or (lambda r: r.status_code < 400)
    result = LoadResult(name=name, requests=total, seconds=0.0, errors=0)
    result.samples = []  # type: ignore[attr-defined]
    origin = 0.0
    by_position = [0.0] * total

    async def one(i: int, scheduled: float) -> None:
        response = None
        try:
            response = await make_request(client, i)
        except TRANSPORT_ERRORS as exc:
            if len(result.samples) < 5:  # type: ignore[attr-defined]
                result.samples.append(repr(exc))  # type: ignore[attr-defined]
        by_position[i] = _record(result, scheduled, response, ok)
        if on_done is not None:
            on_done(i, response)

    with no_collector_pauses():  # before the schedule's origin: the collection it starts with takes time
        origin = time.perf_counter()
        # Each request's task is made when it is due. Made all at once (they used to be), the first steps of
        # 2,000 tasks ran before the first request went out: the first 0.1-0.2 s of every wave waited
        # 100-190 ms, the whole of the check-in p99 (issue 18's "cause not found").
        started: list[asyncio.Task[None]] = []
        for i in range(total):
            scheduled = origin + i * seconds / total
            if (wait := scheduled - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            started.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*started)
        result.seconds = time.perf_counter() - origin
    tail = sorted(range(total), key=lambda i: -by_position[i])[:max(1, total // 100)]
    result.slowest = sorted((round(i * seconds / total, 3), round(by_position[i], 1)) for i in tail)
    return result


class Readers:
    """A background mix of reads at a steady rate until `stop()`; at most `limit` requests in all."""

    def __init__(self, client: httpx.AsyncClient, requests: dict[str, Request], *, per_second: float,
                 limit: int = 100_000) -> None:
        self.client = client
        self.requests = requests
        self.interval = 1 / per_second
        self.limit = limit
        self.results = {name: LoadResult(name=name, requests=0, seconds=0.0, errors=0) for name in requests}
        for r in self.results.values():
            r.samples = []  # type: ignore[attr-defined]
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _one(self, name: str, i: int) -> None:
        result = self.results[name]
        started = time.perf_counter()
        response = None
        try:
            response = await self.requests[name](self.client, i)
        except TRANSPORT_ERRORS:
            pass
        result.requests += 1
        _record(result, started, response, lambda r: r.status_code < 400)

    async def _run(self) -> None:
        names = list(self.requests)
        origin = time.perf_counter()
        for i in range(self.limit):
            if self._stop.is_set():
                break
            task = asyncio.create_task(self._one(names[i % len(names)], i // len(names)))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=max(0.0, origin + (i + 1) * self.interval
                                                                       - time.perf_counter()))
            except TimeoutError:
                pass
        for r in self.results.values():
            r.seconds = time.perf_counter() - origin

    async def stop(self) -> dict[str, LoadResult]:
        self._stop.set()
        if self._task is not None:
            await self._task
        if self._inflight:
            await asyncio.gather(*self._inflight)
        return self.results
