"""The reads thousands of phones refresh, against a bare GET, driven by wrk (a client far cheaper than the server).

Starts a throwaway PostgreSQL and Redis, seeds one community of N volunteers (period totals, Redis
leaderboards, logins with a few ledger entries each, a published honour list, the coming weeks'
activities) and serves the real app plus a bare GET (a constant, no database) from one uvicorn process
(uvloop, httptools) on 127.0.0.1. Each round runs every endpoint once with wrk, the bare GET first, so
every ratio compares runs a few seconds apart in the same server process. The logged-in reads spread
over all the logins (a wrk Lua script picks one per request), so no single volunteer's row stays hot.

Reports per endpoint: requests/s, p50/p99, the ratio to the bare GET of the same round, and the CPU
milliseconds per request of the API process, PostgreSQL, Redis and wrk itself (who was the bottleneck).

    apt-get install wrk        # Debian's wrk; the bench refuses to run without it
    python bench/reads_bench.py [--volunteers 20000] [--logins 2000] [--rounds 3] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litestar import get  # noqa: E402

MONTH = "2026-11"
NOTES_PATH = ROOT / "bench" / "reads_notes.md"
GOALS = {"leaderboard top-100": 0.5}
DEFAULT_GOAL = 0.3
ENTRIES_PER_LOGIN = 3


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


async def _seed(db, volunteers: int, logins: int) -> dict[str, object]:  # noqa: ANN001
    """One community: volunteers with period totals, `logins` of them able to log in (each with a few ledger
    entries), a published honour list in its notice period, and three weeks of published activities."""
    from sqlalchemy import insert

    from servicebank.accounts.models import AuthSession, User
    from servicebank.accounts.sessions import TOKEN_PREFIX, hash_token
    from servicebank.activities.models import Activity
    from servicebank.honours.models import HonourEntry, HonourList
    from servicebank.ledger import transactions as ledger
    from servicebank.ledger.models import PeriodTotal
    from servicebank.org.models import Community, District, Street
    from servicebank.volunteers.models import Volunteer

    now = dt.datetime.now(dt.UTC)
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
        community_id = community.id
        ids = (await s.execute(insert(Volunteer).returning(Volunteer.id), [
            {"community_id": community_id, "number": f"BM-{i:06d}", "real_name": f"王志愿{i}", "phone": f"1390{i:07d}",
             "skill_tags": [], "public_consent": i % 7 != 0, "created_at": now}
            for i in range(volunteers)])).scalars().all()
        await s.execute(insert(PeriodTotal), [
            {"volunteer_id": v, "period": p, "minutes": (v * 7919) % 6000, "points": (v * 104729) % 9000,
             "version": 1} for v in ids for p in (MONTH, "2026", "all")])
        users = (await s.execute(insert(User).returning(User.id), [
            {"username": f"bench{i}", "display_name": f"王志愿{i}", "password_hash": "x", "volunteer_id": ids[i],
             "created_at": now} for i in range(logins)])).scalars().all()
        tokens = [f"{TOKEN_PREFIX}bench{i:08d}" for i in range(logins)]
        await s.execute(insert(AuthSession), [
            {"token_hash": hash_token(t), "user_id": u, "created_at": now, "expires_at": now + dt.timedelta(days=1)}
            for t, u in zip(tokens, users, strict=True)])
        honour = HonourList(scope_kind="community", scope_id=community_id, month="2026-10", title="2026年10月光荣榜",
                            status="published", period_start=now - dt.timedelta(days=40),
                            period_end=now - dt.timedelta(days=10), published_at=now,
                            notice_ends_at=now + dt.timedelta(days=7))
        s.add(honour)
        await s.flush()
        honour_id = honour.id
        await s.execute(insert(HonourEntry), [
            {"list_id": honour_id, "section": section, "position": p + 1, "rank": p + 1, "volunteer_id": ids[p],
             "community_id": community_id, "name": f"王志愿{p}", "public_name": f"王*{p}" if p % 7 else None,
             "minutes": 6000 - p * 60, "star_level": 3 if section == "new_stars" else None}
            for section in ("top_volunteers", "new_stars") for p in range(10)])
        await s.execute(insert(Activity), [
            {"community_id": community_id, "kind": "cleanup", "title": f"社区清洁 {d}", "status": "published",
             "starts_at": now + dt.timedelta(days=d, hours=2), "ends_at": now + dt.timedelta(days=d, hours=4),
             "address": "基准社区活动室", "created_at": now, "updated_at": now} for d in range(21)])
    # A few ledger entries per login, in short sessions (one long session's identity map slows every flush).
    for first in range(0, logins, 100):
        async with db.session_scope() as s:
            pool = await ledger.community_account(s, community_id)
            for i in range(first, min(first + 100, logins)):
                account = await ledger.volunteer_account(s, ids[i])
                for n in range(ENTRIES_PER_LOGIN):
                    await ledger.post_transaction(s, source_key=f"bench:{i}:{n}", kind="service", memo="基准服务",
                                                  entries=[(pool.id, -10 * (n + 1)), (account.id, 10 * (n + 1))])
    return {"community_id": community_id, "honour_id": honour_id, "tokens": tokens, "volunteer_ids": ids[:logins]}


def _lua_for_logins(path_template: str, tokens: list[str], volunteer_ids: list[int], directory: str) -> str:
    """A wrk script: each request a random login's token, `{v}` in the path replaced by its volunteer id."""
    entries = ",".join(f'{{"{t}","{v}"}}' for t, v in zip(tokens, volunteer_ids, strict=True))
    script = Path(directory) / f"logins{abs(hash(path_template))}.lua"
    script.write_text(f"""
local logins = {{{entries}}}
math.randomseed(7)
request = function()
  local login = logins[math.random(#logins)]
  local path = string.gsub("{path_template}", "{{v}}", login[2])
  return wrk.format("GET", path, {{["Authorization"] = "Bearer " .. login[1]}})
end
""")
    return str(script)


def _wrk(base: str, target: tuple[str, str | None], *, seconds: int, connections: int) -> dict[str, float]:
    """One wrk run (one thread): rate, p50/p99, non-2xx count, and wrk's own CPU seconds."""
    path, script = target
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    proc = subprocess.Popen([*cmd, base + path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"wrk failed: {out}")

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]

    requests = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"requests": requests, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
            "p50": latency("50"), "p99": latency("99"), "non2xx": int(bad[1]) if bad else 0,
            "socket_errors": errors[1] if errors else "", "client_cpu_s": usage.ru_utime + usage.ru_stime}


def measure(base: str, targets: dict[str, tuple[str, str | None]], *, rounds: int, seconds: int, connections: int,
            pids: dict[str, int], progress) -> dict[str, list[dict[str, float]]]:  # noqa: ANN001
    """`rounds` rounds over every target in order (the bare GET first), CPU per request of each process."""
    from bench.common import CpuMeter

    meter = CpuMeter(pids)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for target in targets.values():  # warm-up: connections, caches, statement caches
        _wrk(base, target, seconds=1, connections=connections)
    for r in range(rounds):
        for name, target in targets.items():
            progress(f"round {r + 1}/{rounds}: {name}")
            # A second of the same requests first, unmeasured: the phones refreshing a read keep the process's
            # kept logins warm (30 s, accounts/principal_cache.py). Without it each round began with every login
            # expired since the previous round, 10-15% of a round's requests reading their login again.
            _wrk(base, target, seconds=1, connections=connections)
            before = meter.start()
            run = _wrk(base, target, seconds=seconds, connections=connections)
            if run["non2xx"] or run["socket_errors"]:
                raise RuntimeError(f"{name}: {run['non2xx']} non-2xx answers, socket errors {run['socket_errors']!r}")
            run.update({f"cpu_{k}": v for k, v in meter.per_unit(before, int(run["requests"])).items()})
            run["cpu_client"] = run.pop("client_cpu_s") * 1000 / max(run["requests"], 1)
            results[name].append(run)
    return results


def profile(base: str, targets: dict[str, tuple[str, str | None]], *, api_pid: int, seconds: int, connections: int,
            directory: Path) -> None:
    """py-spy's collapsed stacks of the API process under each endpoint's load (pip install py-spy), one file each."""
    directory.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    for name, target in targets.items():
        out = directory / (re.sub(r"\W+", "-", name) + ".txt")
        recorder = subprocess.Popen([spy, "record", "--pid", str(api_pid), "--format", "raw", "--rate", "250",
                                     "--duration", str(seconds), "--output", str(out), "--nonblocking"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wrk(base, target, seconds=seconds, connections=connections)
        recorder.wait(60)


def report(results: dict[str, list[dict[str, float]]], *, header: str) -> str:
    names = list(results)
    bare = results[names[0]]
    lines = [header, "",
             "| endpoint | req/s (median round) | ratio to bare GET, per round | goal | bare ÷ endpoint API CPU "
             "| p50 ms | p99 ms | API CPU ms/req | PostgreSQL CPU ms/req | Redis CPU ms/req | wrk CPU ms/req |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    for name in names:
        runs = results[name]
        ratios = [run["rps"] / b["rps"] for run, b in zip(runs, bare, strict=True)]
        goal = "" if name == names[0] else f"≥ {GOALS.get(name, DEFAULT_GOAL)}"
        ratio_text = "1 (baseline)" if name == names[0] else ", ".join(f"{x:.2f}" for x in ratios)
        cpu_ratio = median([r["cpu_api"] for r in bare]) / max(median([r["cpu_api"] for r in runs]), 1e-9)
        lines.append(f"| {name} | {median([r['rps'] for r in runs]):,.0f} | {ratio_text} | {goal} | {cpu_ratio:.2f} "
                     f"| {median([r['p50'] for r in runs]):.1f} | {median([r['p99'] for r in runs]):.1f} "
                     f"| {median([r['cpu_api'] for r in runs]):.3f} | {median([r['cpu_pg'] for r in runs]):.3f} "
                     f"| {median([r['cpu_redis'] for r in runs]):.3f} | {median([r['cpu_client'] for r in runs]):.3f} |")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += ["", f"Load average at the end (1, 5, 15 min): {load}. Requests per second and latency move with what "
              "else runs on the machine (the ratio less, as its two runs are seconds apart); CPU per request moves "
              "least, so the bare GET's API CPU over the endpoint's is shown as well."]
    return "\n".join(lines)


async def run(volunteers: int, logins: int, rounds: int, seconds: int, connections: int, progress,  # noqa: ANN001
              profile_dir: Path | None = None, only: tuple[str, ...] = ()) -> str:
    from bench.common import PostgresServer, RedisServer, service_env, start_api, stop
    from servicebank.config import Settings
    from servicebank.kernel.db import Database
    from servicebank.leaderboards.rebuild import rebuild_redis

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    pg, redis = PostgresServer(), RedisServer()
    api = None
    try:
        url = pg.create_database("reads_bench")
        db = Database(Settings(database_url=url, redis_url=redis.url, publish_events=False))
        from servicebank import registry  # every domain's models
        await registry.create_tables(db)
        progress("seeding")
        seeded = await _seed(db, volunteers, logins)
        await rebuild_redis(db)
        await db.dispose()
        env = service_env(url, redis.url, SERVICEBANK_DB_POOL_SIZE=str(connections))
        env["PYTHONPATH"] = f"{ROOT / 'bench'}:{ROOT}"
        api, base = start_api(env, app="reads_bench:make_app",
                              options=("--loop", "uvloop", "--http", "httptools", "--timeout-keep-alive", "120"))
        community = seeded["community_id"]
        with tempfile.TemporaryDirectory() as scripts:
            def logged_in(path: str) -> tuple[str, str]:
                return path, _lua_for_logins(path, seeded["tokens"], seeded["volunteer_ids"], scripts)  # type: ignore[arg-type]

            targets: dict[str, tuple[str, str | None]] = {
                "bare GET": ("/bench/bare", None),
                "leaderboard top-100": (
                    f"/api/leaderboards?scope=community:{community}&period={MONTH}&by=hours&limit=100", None),
                "own rank": logged_in(f"/api/leaderboards/me?period={MONTH}"),
                "volunteer account": logged_in("/api/volunteers/{v}/account"),
                "public honour list": (f"/api/public/honours/{seeded['honour_id']}", None),
                "public community page": (f"/public/communities/{community}", None),
            }
            if only:  # a study of some endpoints: the bare GET stays, as every ratio's baseline
                targets = {name: t for name, t in targets.items() if name == "bare GET" or name in only}
            pids = {"api": api.pid, "pg": pg.postmaster_pid(), "redis": redis.proc.pid}  # type: ignore[union-attr]
            if profile_dir is not None:
                profile(base, targets, api_pid=api.pid, seconds=seconds, connections=connections,
                        directory=profile_dir)
            results = measure(base, targets, rounds=rounds, seconds=seconds, connections=connections, pids=pids,
                              progress=progress)
    finally:
        stop(api)
        redis.close()
        pg.close()
    return report(results, header=(
        f"{volunteers:,} volunteers in one community ranked in Redis, {logins:,} logins; one uvicorn process "
        f"(uvloop, httptools) on 127.0.0.1; wrk -t1 -c{connections} -d{seconds}s per endpoint, {rounds} rounds, "
        f"the bare GET first in each; 2 cores shared by wrk, the API, PostgreSQL and Redis ({time.strftime('%Y-%m-%d')})."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--logins", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--output", default=str(ROOT / "bench" / "reads.md"),
                        help="where the table goes, followed by bench/reads_notes.md (empty: print only)")
    parser.add_argument("--only", action="append", default=[],
                        help="measure only this endpoint (repeatable; the bare GET always runs), e.g. 'own rank'")
    parser.add_argument("--profile", type=Path, default=None,
                        help="a directory for py-spy's collapsed stacks of the API under each endpoint, before the rounds")
    args = parser.parse_args()
    table = asyncio.run(run(args.volunteers, args.logins, args.rounds, args.seconds, args.connections,
                            progress=lambda m: print(m, file=sys.stderr, flush=True), profile_dir=args.profile,
                            only=tuple(args.only)))
    print(table)
    if args.output:
        Path(args.output).write_text("# Public reads benchmark\n\nRun: `python bench/reads_bench.py` (needs `wrk`: "
                               "`apt-get install wrk`)\n\n" + table + "\n" + NOTES_PATH.read_text())


if __name__ == "__main__":
    main()
