"""City-size reads: the pages people open most, on the whole city's data, each against the bare-GET baseline.

Each endpoint gets `requests` requests with `concurrency` in flight (closed loop), spread over
random volunteers and all communities so no single row stays hot in a cache. The month read is
the last whole month of the history (the busiest a board or report can be).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx

from bench.city import City
from bench.common import LoadResult, run_lean_load
from bench.logins import Logins

TARGET_P99_MS = 50.0


async def run_reads(*, base_url: str, city: City, logins: Logins, requests: int, concurrency: int,
                    progress, cpu_of: dict[str, int] | None = None) -> list[LoadResult]:  # noqa: ANN001
    """p50/p99 of each read, baseline first, driven by the lean client (bench/rawhttp.py): the client's CPU per
    request and that of the processes in `cpu_of` are recorded next to each."""
    month = city.months[-1]
    rnd = random.Random(7)
    volunteers = list(logins.volunteer_tokens)
    communities = list(logins.organiser_tokens)
    picks_v = [rnd.choice(volunteers) for _ in range(requests)]
    picks_c = [rnd.choice(communities) for _ in range(requests)]

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    scenarios: dict[str, Any] = {
        "baseline: bare GET": lambda cl, i: cl.get("/bench/hello"),
        "volunteer account": lambda cl, i: cl.get(f"/api/volunteers/{picks_v[i]}/account",
                                                  headers=bearer(logins.volunteer_tokens[picks_v[i]])),
        "leaderboard top 100 (community, month)": lambda cl, i: cl.get("/api/leaderboards", params={
            "scope": f"community:{picks_c[i]}", "period": month, "by": "hours", "limit": 100}),
        "own rank /api/leaderboards/me (community, month)": lambda cl, i: cl.get(
            "/api/leaderboards/me", params={"period": month}, headers=bearer(logins.volunteer_tokens[picks_v[i]])),
        "leaderboard top 100 + own rank (city, month)": lambda cl, i: cl.get("/api/leaderboards", params={
            "scope": "city", "period": month, "by": "hours", "limit": 100, "volunteer_id": picks_v[i]}),
        "community dashboard /manage/ (HTML)": lambda cl, i: cl.get(
            "/manage/", params={"community": picks_c[i]}, cookies={"sb_session": logins.organiser_tokens[picks_c[i]]}),
        "monthly report 台账 (community, month)": lambda cl, i: cl.get("/api/reports/taizhang", params={
            "scope": f"community:{picks_c[i]}", "period": month}, headers=bearer(logins.organiser_tokens[picks_c[i]])),
    }
    results = []
    # Warm-up with as many requests in flight as the measurement: each pool (the primary's, the replica's, the
    # direct reads' connections) then holds the connections the measurement uses. With one request at a time the
    # first requests measured opened them: the slowest three of 300, so the p99, were the first (issue 18's
    # community board at 57 ms against a p50 of 9; bench/reads_notes.md). A long-running API keeps its pools.
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as warm:
        for name, make in scenarios.items():
            for first in (0, concurrency):
                answers = await asyncio.gather(*(make(warm, i) for i in range(first, first + concurrency)))
                for r in answers:
                    if r.status_code >= 400:
                        raise RuntimeError(f"{name}: {r.status_code} {r.text[:300]}")
    for name, make in scenarios.items():
        progress(f"reads: {name} ({requests} requests, {concurrency} in flight)")
        results.append(await run_lean_load(name, make, total=requests, concurrency=concurrency, base_url=base_url,
                                           cpu_of=cpu_of))
    return results
