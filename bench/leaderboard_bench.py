"""Leaderboard top-100 reads (Redis sorted sets behind the real API) against a bare Litestar GET.

Starts a throwaway PostgreSQL and Redis, writes period totals for N volunteers in one community,
builds the Redis leaderboards, serves the real app plus a bare GET (returns a constant, no database)
from one uvicorn process on 127.0.0.1 and drives both with a bounded async httpx load. Prints a
markdown table.

    python bench/leaderboard_bench.py [--volunteers 20000] [--requests 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litestar import get  # noqa: E402


@get("/bench/bare", exclude_from_auth=True)
async def bare() -> dict[str, int]:
    """Nothing but routing and serialisation."""
    return {"ok": 1}


def make_app():  # noqa: ANN201
    """uvicorn factory: the real application plus the bare endpoint."""
    from servicebank.app import create_app

    app = create_app()
    app.register(bare)
    return app


async def _seed(db, volunteers: int) -> int:  # noqa: ANN001
    from sqlalchemy import insert

    from servicebank.org.models import Community, District, Street
    from servicebank.points.models import PeriodTotal
    from servicebank.volunteers.models import Volunteer

    async with db.session_scope() as s:
        district = District(name="基准区")
        s.add(district)
        await s.flush()
        street = Street(district_id=district.id, name="基准街道")
        s.add(street)
        await s.flush()
        community = Community(district_id=district.id, street_id=street.id, name="基准社区", code="BM")
        s.add(community)
        await s.flush()
        ids = (await s.execute(insert(Volunteer).returning(Volunteer.id), [
            {"community_id": community.id, "number": f"BM-{i:06d}", "real_name": f"王志愿{i}", "phone": f"1390{i:07d}"}
            for i in range(volunteers)])).scalars().all()
        await s.execute(insert(PeriodTotal), [
            {"volunteer_id": v, "period": p, "minutes": (v * 7919) % 6000, "points": (v * 104729) % 9000,
             "version": 1} for v in ids for p in ("2026-11", "2026", "all")])
        return community.id


async def run(volunteers: int, requests: int, concurrency: int) -> str:
    from bench.common import PostgresServer, RedisServer, run_load, service_env, start_api, stop, table
    from servicebank.config import Settings
    from servicebank.db import Database
    from servicebank.points.rebuild import rebuild_redis

    pg, redis = PostgresServer(), RedisServer()
    api = None
    try:
        url = pg.create_database("leaderboard_bench")
        db = Database(Settings(database_url=url, redis_url=redis.url, publish_events=False))
        await db.create_all()
        community_id = await _seed(db, volunteers)
        await rebuild_redis(db)
        await db.dispose()
        env = service_env(url, redis.url)
        env["PYTHONPATH"] = f"{ROOT / 'bench'}:{ROOT}"
        api, base = start_api(env, app="leaderboard_bench:make_app")
        path = f"/api/leaderboards?scope=community:{community_id}&period=2026-11&by=hours&limit=100"
        results = []
        for _ in range(2):  # the second round counts; the first warms caches and connections
            results = [
                await run_load("GET /api/leaderboards top-100 (Redis)", lambda c, i: c.get(path),
                               total=requests, concurrency=concurrency, base_url=base),
                await run_load("GET /bench/bare (constant)", lambda c, i: c.get("/bench/bare"),
                               total=requests, concurrency=concurrency, base_url=base),
            ]
    finally:
        stop(api)
        redis.close()
        pg.close()
    board, baseline = results
    return "\n".join([
        f"Leaderboard reads: {volunteers} volunteers ranked, uvicorn (1 process) on 127.0.0.1, {requests} requests, "
        f"{concurrency} in flight; 2 cores shared by client, server, PostgreSQL and Redis.",
        "",
        table(results),
        "",
        f"Leaderboard / bare GET rate: **{board.rate / baseline.rate:.2f}** (target ≥ 0.5).",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    print(asyncio.run(run(args.volunteers, args.requests, args.concurrency)))


if __name__ == "__main__":
    main()
