"""Residents' requests at city scale on PostgreSQL: the 接单大厅 list and the 派单台 queue with 10,000+ open
requests, and accepting, against the one-insert baseline endpoint, in interleaved rounds.

Starts a throwaway PostgreSQL (tests/servers.py), seeds COMMUNITIES communities with PER_COMMUNITY open requests
each (bulk inserts), one organiser and one volunteer login per accept; serves the real app plus the baseline
(bench/checkin_bench.py's uvicorn factory) from one uvicorn process on 127.0.0.1, and drives them with the lean
client (bench/rawhttp.py). Reports requests per second, p50/p99 and the CPU milliseconds per request of the API
process, PostgreSQL and the client, and each endpoint's throughput as a ratio to the baseline of the same round.

    python bench/requests_bench.py [--per-community 600] [--communities 20] [--requests 1000] [--rounds 2]
    python bench/requests_bench.py --profile DIR   # also py-spy's stacks of the API under each endpoint (one file each)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from checkin_bench import BenchBase, _drive, _serve, _wait_ready  # noqa: E402

ENDPOINTS = ("baseline", "hall", "queue", "accept")


async def _seed(url: str, communities: int, per_community: int, volunteers: int) -> dict:
    """Communities with a grid, a household and open requests; an organiser; volunteer logins round the city."""
    from sqlalchemy import insert, select

    import servicebank.registry  # noqa: F401
    from servicebank.accounts.models import AuthSession, Role, RoleGrant, User
    from servicebank.accounts.sessions import TOKEN_PREFIX, hash_token
    from servicebank.config import Settings
    from servicebank.kernel.db import Database, metadata
    from servicebank.org.models import Community, District, Grid
    from servicebank.requests import repository
    from servicebank.requests.models import Household, RequestCategory, ServiceRequest
    from servicebank.volunteers.models import Volunteer

    db = Database(Settings(database_url=url))
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(BenchBase.metadata.create_all)
    now = dt.datetime.now(dt.UTC)
    async with db.session_scope() as s:
        district = District(name="基准区")
        s.add(district)
        await s.flush()
        ids = (await s.execute(insert(Community).returning(Community.id), [
            {"district_id": district.id, "name": f"基准社区{c}", "code": f"BQ{c}"} for c in range(communities)]))
        community_ids = list(ids.scalars().all())
        grids = (await s.execute(insert(Grid).returning(Grid.id), [
            {"community_id": c, "name": "第一网格"} for c in community_ids])).scalars().all()
        households = (await s.execute(insert(Household).returning(Household.id), [
            {"community_id": c, "grid_id": g, "building": "1号楼", "unit": "101", "name": "居民", "created_at": now}
            for c, g in zip(community_ids, grids, strict=True)])).scalars().all()
        for c in community_ids:
            await repository.seed_categories(s, c)
        category = dict((await s.execute(select(RequestCategory.community_id, RequestCategory.id)
                                          .where(RequestCategory.name == "代购"))).all())
        windows = [[(now + dt.timedelta(days=1)).isoformat(), (now + dt.timedelta(days=1, hours=2)).isoformat()]]
        await s.flush()
        organiser = User(username="bench-organiser", display_name="社工", password_hash="x", created_at=now)
        s.add(organiser)
        await s.flush()
        s.add(RoleGrant(user_id=organiser.id, role=Role.ORGANISER, community_id=community_ids[0]))
        for c, g, h in zip(community_ids, grids, households, strict=True):
            await s.execute(insert(ServiceRequest), [
                {"community_id": c, "grid_id": g, "household_id": h, "category_id": category[c],
                 "description": "帮忙买米", "urgency": k % 3, "time_windows": windows,
                 "window_end": now + dt.timedelta(days=1, hours=2), "estimated_minutes": 60, "payer": "none",
                 "status": "open", "created_by_user_id": organiser.id, "on_behalf": True,
                 "created_at": now - dt.timedelta(minutes=k)} for k in range(per_community)])
        volunteer_ids = (await s.execute(insert(Volunteer).returning(Volunteer.id, Volunteer.community_id), [
            {"community_id": community_ids[i % communities], "number": f"BQ-{i:06d}", "real_name": f"志愿者{i}",
             "phone": f"139{i:08d}", "skill_tags": [], "created_at": now} for i in range(volunteers)])).all()
        users = (await s.execute(insert(User).returning(User.id), [
            {"username": f"bq{i}", "display_name": f"志愿者{i}", "password_hash": "x", "volunteer_id": vid,
             "created_at": now} for i, (vid, _) in enumerate(volunteer_ids)])).scalars().all()
        tokens = [f"{TOKEN_PREFIX}bq{i:08d}" for i in range(volunteers + 1)]
        await s.execute(insert(AuthSession), [
            {"token_hash": hash_token(t), "user_id": uid, "created_at": now, "expires_at": now + dt.timedelta(days=1)}
            for t, uid in zip(tokens, [*users, organiser.id], strict=True)])
        open_by_community = {c: list((await s.scalars(select(ServiceRequest.id).where(
            ServiceRequest.community_id == c).order_by(ServiceRequest.id))).all()) for c in community_ids}
    await db.dispose()
    return {"communities": community_ids, "volunteers": [c for _, c in volunteer_ids], "tokens": tokens,
            "open": open_by_community}


async def _profiled(port: int, make, requests: int, concurrency: int, *, api_pid: int, out: Path) -> None:  # noqa: ANN001
    """Drive one endpoint while py-spy records the API's stacks (`pip install py-spy`; bench/spy_summary.py reads them)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    recorder = subprocess.Popen([spy, "record", "--pid", str(api_pid), "--format", "raw", "--rate", "250",
                                 "--output", str(out), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await _drive(port, make, requests, concurrency)
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(60)


async def run(per_community: int, communities: int, requests: int, rounds: int, concurrency: int,
              paced_requests: int = 300, profile_dir: Path | None = None) -> str:
    import httpx

    from tests.servers import PostgresServer, free_port

    server = PostgresServer()
    uvicorn = None
    try:
        url = server.create_database("requests_bench")
        accepts = requests * (rounds + (1 if profile_dir else 0)) + 50
        world = await _seed(url, communities, per_community, accepts)
        port = free_port()
        uvicorn = _serve(url, port, concurrency)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await _wait_ready(client, time.monotonic() + 60)
        organiser = {"Authorization": f"Bearer {world['tokens'][-1]}"}
        volunteer_logins = iter(range(accepts))
        # Each accept takes the next open request of the accepting volunteer's community.
        open_left = {c: iter(ids) for c, ids in world["open"].items()}

        def hall(i: int):  # noqa: ANN202
            return ("GET", "/api/requests/hall?limit=50",
                    {"headers": {"Authorization": f"Bearer {world['tokens'][i % accepts]}"}}, 200)

        def queue(_i: int):  # noqa: ANN202
            return ("GET", f"/api/communities/{world['communities'][0]}/request-queue?limit=50",
                    {"headers": organiser}, 200)

        def accept(_i: int):  # noqa: ANN202
            v = next(volunteer_logins)
            request_id = next(open_left[world["volunteers"][v]])
            return ("POST", f"/api/requests/{request_id}/accept",
                    {"headers": {"Authorization": f"Bearer {world['tokens'][v]}"}}, 200)

        def base(_i: int):  # noqa: ANN202
            return ("POST", "/bench/baseline", {}, 201)

        makers = dict(zip(ENDPOINTS, (base, hall, queue, accept), strict=True))
        for make in makers.values():  # warm-up (the accepts' warm-up uses the 50 spare logins)
            await _drive(port, make, 50, concurrency)
        if profile_dir is not None:
            profile_dir.mkdir(parents=True, exist_ok=True)
            for name, make in makers.items():
                await _profiled(port, make, requests, concurrency, api_pid=uvicorn.pid, out=profile_dir / f"{name}.txt")
        cpu_of = {"api": uvicorn.pid, "pg": server.postmaster_pid()}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in ENDPOINTS}
        for _ in range(rounds):
            for name, make in makers.items():
                results[name].append(await _drive(port, make, requests, concurrency, cpu_of))
        # Latency at one arrival rate for all (a quarter of the baseline's capacity in this run): the p99 a
        # phone sees when the server is not saturated by this benchmark's own queue.
        rate = 0.25 * min(r["rps"] for r in results["baseline"])
        paced: dict[str, list[dict[str, float]]] = {name: [] for name in ENDPOINTS if name != "accept"}
        for _ in range(rounds):
            for name in paced:
                paced[name].append(await _drive(port, makers[name], paced_requests, concurrency, cpu_of, rate=rate))
        return (_table(results, per_community * communities, concurrency, requests, rounds)
                + f"\n\nPaced at {rate:.0f} requests/s ({paced_requests} per endpoint and round):\n\n"
                + "| endpoint | p50 ms | p99 ms |\n|---|---:|---:|\n"
                + "\n".join(f"| {name} | {statistics.median(r['p50'] for r in runs):.1f} | "
                            f"{statistics.median(r['p99'] for r in runs):.1f} |" for name, runs in paced.items()))
    finally:
        if uvicorn is not None:
            uvicorn.terminate()
            uvicorn.wait(timeout=20)
        server.close()


def _table(results: dict[str, list[dict[str, float]]], open_requests: int, concurrency: int, requests: int,
           rounds: int) -> str:
    lines = [f"{open_requests:,} open requests; {requests} requests per endpoint and round, {rounds} rounds, "
             f"concurrency {concurrency}; medians over the rounds; ratio: req/s over the baseline's in the same round",
             "", "| endpoint | req/s | × baseline | p50 ms | p99 ms | API CPU ms/req | PG CPU ms/req | client CPU ms/req |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, runs in results.items():
        ratio = statistics.median(r["rps"] / b["rps"] for r, b in zip(runs, results["baseline"], strict=True))

        def med(key: str, rows: list[dict[str, float]] = runs) -> float:
            return statistics.median(r[key] for r in rows)

        lines.append(f"| {name} | {med('rps'):,.0f} | {ratio:.2f} | {med('p50'):.1f} | {med('p99'):.1f} | "
                     f"{med('cpu_api'):.2f} | {med('cpu_pg'):.2f} | {med('cpu_client'):.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-community", type=int, default=600)
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", type=Path, default=None, help="directory for py-spy's stacks, one file an endpoint")
    args = parser.parse_args()
    report = asyncio.run(run(args.per_community, args.communities, args.requests, args.rounds, args.concurrency,
                             profile_dir=args.profile))
    print(report)
    (ROOT / "bench" / "requests.md").write_text("# Residents' requests benchmark (bench/requests_bench.py)\n\n"
                                                + report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
