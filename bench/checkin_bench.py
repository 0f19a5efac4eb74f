"""Check-in and check-out throughput and p99 latency on PostgreSQL, against a bare one-insert Litestar endpoint.

Starts a throwaway PostgreSQL (tests/servers.py), seeds one activity with signed-up volunteers (some
already checked in, for the check-outs), serves the real app plus a baseline endpoint (one ORM insert
in the same request transaction) from one uvicorn process on 127.0.0.1, and drives them in interleaved
rounds with the lean client (bench/rawhttp.py): the API check-in, the web check-in (the form the kiosk
QR's page /c/<token> posts, with the session cookie and CSRF token a browser sends: as its script sends it,
asking for the answer's main part, and as a browser without scripts posts it) and the API check-out. Prints a markdown table and writes it to bench/checkin.md.

    python bench/checkin_bench.py [--requests 3000] [--concurrency 32] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litestar import post  # noqa: E402
from sqlalchemy import String, insert  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402
from sqlalchemy.orm import (  # noqa: E402
    DeclarativeBase,  # noqa: E402
    Mapped,
    mapped_column,
)


class BenchBase(DeclarativeBase):
    """The baseline's own metadata: the benchmark table never joins the application's schema."""

SECRET = "bench-secret-" + "x" * 40


class BaselineRow(BenchBase):
    """The baseline endpoint's table: one ORM insert per request."""

    __tablename__ = "bench_baseline_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(String(40))


@post("/bench/baseline", status_code=201)
async def baseline(db_session: AsyncSession) -> dict[str, int]:
    """One ORM insert in the request transaction, nothing else."""
    row = BaselineRow(note="baseline")
    db_session.add(row)
    await db_session.flush()
    return {"id": row.id}


def make_app():  # noqa: ANN201
    """uvicorn factory: the real application plus the baseline endpoint."""
    from servicebank.app import create_app

    app = create_app()
    app.register(baseline)
    return app


async def _seed(url: str, volunteers: int, checked_in: range) -> tuple[int, list[str]]:
    """The activity and one login per volunteer; the volunteers in `checked_in` have checked in already."""
    import servicebank.registry  # noqa: F401
    from servicebank.accounts.models import AuthSession, User
    from servicebank.accounts.passwords import hash_password
    from servicebank.accounts.sessions import TOKEN_PREFIX, hash_token
    from servicebank.activities.models import Activity, Signup
    from servicebank.checkins import repository as checkins
    from servicebank.checkins.models import Attendance
    from servicebank.config import Settings
    from servicebank.kernel.db import Database, metadata
    from servicebank.org.models import Community, District
    from servicebank.volunteers.models import Volunteer

    db = Database(Settings(database_url=url))
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(BenchBase.metadata.create_all)
    now = dt.datetime.now(dt.UTC)
    tokens = [f"{TOKEN_PREFIX}bench{i:08d}" for i in range(volunteers)]
    async with db.session_scope() as s:
        district = District(name="基准区")
        s.add(district)
        await s.flush()
        community = Community(district_id=district.id, name="基准社区", code="BM")
        s.add(community)
        await s.flush()
        activity = Activity(community_id=community.id, kind="cleanup", title="基准活动", status="published",
                            starts_at=now + dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=6))
        s.add(activity)
        await s.flush()
        ids = (await s.execute(insert(Volunteer).returning(Volunteer.id), [
            {"community_id": community.id, "number": f"BM-{i:06d}", "real_name": f"志愿者{i}",
             "phone": f"139{i:08d}", "skill_tags": [], "created_at": now} for i in range(volunteers)])).scalars().all()
        pw = hash_password("bench-password")
        users = (await s.execute(insert(User).returning(User.id), [
            {"username": f"bench{i}", "display_name": f"志愿者{i}", "password_hash": pw, "volunteer_id": vid,
             "created_at": now} for i, vid in enumerate(ids)])).scalars().all()
        await s.execute(insert(AuthSession), [
            {"token_hash": hash_token(t), "user_id": uid, "created_at": now, "expires_at": now + dt.timedelta(days=1)}
            for t, uid in zip(tokens, users, strict=True)])
        await s.execute(insert(Signup), [
            {"activity_id": activity.id, "volunteer_id": vid, "status": "confirmed", "created_at": now,
             "updated_at": now} for vid in ids])
        if checked_in:
            await s.execute(insert(Attendance), [
                checkins.fresh_attendance(activity_id=activity.id, volunteer_id=ids[i], community_id=community.id,
                                          at=now, service_date=now.date(), flags=[], distance=None, proxy_user_id=None,
                                          now=now)
                for i in checked_in])
        activity_id = activity.id
    await db.dispose()
    return activity_id, tokens


def _serve(url: str, port: int, pool_size: int) -> subprocess.Popen[bytes]:
    # A pool as large as the requests in flight: overflow connections would be opened and closed
    # all the time (a PostgreSQL backend started per connection), for both endpoints alike.
    env = {**os.environ, "SERVICEBANK_DATABASE_URL": url, "SERVICEBANK_SECRET_KEY": SECRET,
           "SERVICEBANK_PUBLISH_EVENTS": "false", "SERVICEBANK_EMBEDDED_WORKER": "false",
           "SERVICEBANK_DB_POOL_SIZE": str(pool_size), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "checkin_bench:make_app", "--app-dir", str(ROOT / "bench"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--loop", "uvloop", "--http", "httptools",
               "--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "120"]
    return subprocess.Popen(command, env=env, cwd=ROOT)


async def _wait_ready(client, deadline: float) -> None:  # noqa: ANN001
    while time.monotonic() < deadline:
        try:
            if (await client.get("/health/live")).status_code == 200:
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the benchmark server did not start")


async def _drive(port: int, make_request, count: int, concurrency: int,  # noqa: ANN001
                 cpu_of: dict[str, int] | None = None, rate: float | None = None) -> dict[str, float]:
    """Send `count` requests over `concurrency` keep-alive connections; latency per request, overall
    rate, and the CPU milliseconds per request of each process in `cpu_of` (name: pid) and of this client.

    Without `rate`, as fast as the server answers (its capacity). With `rate`, request i leaves at
    i / rate seconds (an arrival rate, as at a venue), so latency is not queueing behind our own load.
    """
    from bench.common import CpuMeter
    from bench.rawhttp import Connection

    meter = CpuMeter(cpu_of or {})
    cpu_before = meter.start()
    client_before = time.process_time()
    latencies: list[float] = []
    failures: list[str] = []
    next_index = iter(range(count))

    async def worker() -> None:
        connection = Connection("127.0.0.1", port)
        for i in next_index:
            if rate is not None:
                await asyncio.sleep(max(0.0, origin + i / rate - time.perf_counter()))
            method, path, kwargs, expected = make_request(i)
            started = time.perf_counter()
            response = await connection.request(method, path, json_body=kwargs.get("json"),
                                                body=kwargs.get("body", b""), headers=kwargs.get("headers"))
            latencies.append(time.perf_counter() - started)
            if response.status_code != expected:
                failures.append(f"{response.status_code} {response.text[:200]}")
        await connection.close()

    origin = started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    latencies.sort()
    cpu = {f"cpu_{name}": ms for name, ms in meter.per_unit(cpu_before, count).items()}
    cpu["cpu_client"] = (time.process_time() - client_before) * 1000 / count
    return {"rps": count / elapsed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, **cpu}


ENDPOINTS = ("baseline", "check-in", "web check-in", "web check-in (no script)", "check-out")


async def _profile(port: int, requests_of: dict, *, api_pid: int, count: int, concurrency: int,  # noqa: ANN001
                   directory: Path) -> None:
    """py-spy's raw stacks of the API process while it serves `count` requests of each endpoint, one file each
    (pip install py-spy; read them with `python -m bench.spy_summary FILE`)."""
    import re
    import shutil
    import signal

    directory.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    for name, make in requests_of.items():
        out = directory / (re.sub(r"\W+", "-", name) + ".txt")
        recorder = subprocess.Popen([spy, "record", "--pid", str(api_pid), "--format", "raw", "--rate", "200",
                                     "--output", str(out), "--nonblocking"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await asyncio.sleep(1)  # py-spy attaches
        await _drive(port, make, count, concurrency)
        recorder.send_signal(signal.SIGINT)  # py-spy writes the file when interrupted
        recorder.wait(60)


async def run(requests: int, concurrency: int, rounds: int, paced_share: float, paced_requests: int,
              profile_dir: Path | None = None) -> str:
    import httpx

    from servicebank.checkins import tokens as qr
    from servicebank.edge.csrf import CSRF_COOKIE, SESSION_COOKIE, token_for_session
    from tests.servers import PostgresServer, free_port

    server = PostgresServer()
    uvicorn = None
    try:
        url = server.create_database("checkin_bench")
        # Every check-in and check-out is a volunteer's first: capacity and paced rounds plus a warm-up.
        profiled = requests if profile_dir is not None else 0
        per_endpoint = (requests + paced_requests) * rounds + 100 + profiled
        activity_id, session_tokens = await _seed(url, 4 * per_endpoint,
                                                  checked_in=range(3 * per_endpoint, 4 * per_endpoint))
        port = free_port()
        uvicorn = _serve(url, port, concurrency)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await _wait_ready(client, time.monotonic() + 60)
        logins = {name: iter(session_tokens[k * per_endpoint:(k + 1) * per_endpoint])
                  for k, name in enumerate(("check-in", "web check-in", "web check-in (no script)", "check-out"))}
        kiosk: dict[str, qr.KioskToken] = {}

        def current_code(purpose: str) -> str:
            # Everyone at the venue scans the code on screen until the kiosk rotates it.
            now = dt.datetime.now(dt.UTC)
            if purpose not in kiosk or now >= kiosk[purpose].refresh_at:
                kiosk[purpose] = qr.issue_kiosk_token(secret_key=SECRET, rotation_seconds=30,
                                                      activity_id=activity_id, purpose=purpose, now=now)
            return kiosk[purpose].token

        def check_in(_i: int):  # noqa: ANN202
            return ("POST", "/api/check-ins", {"json": {"token": current_code(qr.CHECK_IN)},
                    "headers": {"Authorization": f"Bearer {next(logins['check-in'])}"}}, 201)

        def web_form(login_of: str, *, script: bool):  # noqa: ANN202
            # What the phone's browser posts from /c/<token>: the form with its CSRF token and an empty position
            # (no geofence here), the session cookie; the answer says what happened.
            login = next(logins[login_of])
            # The CSRF cookie too: the page's GET set it, so the answer need not set it again.
            csrf = token_for_session(SECRET, login)
            form = urlencode({"csrf_token": csrf, "latitude": "", "longitude": ""})
            # The page's script (static/offline-scan.js) sends the token as a header too and asks for the answer's
            # words as JSON, which it puts in place of the page's main part.
            headers = {"Accept": "application/json", "X-CSRF-Token": csrf} if script else {}
            return ("POST", f"/c/{current_code(qr.CHECK_IN)}", {"body": form.encode(), "headers": {
                "Cookie": f"{SESSION_COOKIE}={login}; {CSRF_COOKIE}={csrf}",
                "Content-Type": "application/x-www-form-urlencoded", **headers}}, 200)

        def web_check_in(_i: int):  # noqa: ANN202
            # What a phone with scripts on sends (nearly all).
            return web_form("web check-in", script=True)

        def web_check_in_no_script(_i: int):  # noqa: ANN202
            # A browser with scripts off posts the form itself and gets the whole page.
            return web_form("web check-in (no script)", script=False)

        def check_out(_i: int):  # noqa: ANN202
            return ("POST", "/api/check-outs", {"json": {"token": current_code(qr.CHECK_OUT)},
                    "headers": {"Authorization": f"Bearer {next(logins['check-out'])}"}}, 201)

        def base(_i: int):  # noqa: ANN202
            return ("POST", "/bench/baseline", {}, 201)

        requests_of = dict(zip(ENDPOINTS, (base, check_in, web_check_in, web_check_in_no_script, check_out), strict=True))
        for make in requests_of.values():  # warm-up: connections, caches, first compilations
            await _drive(port, make, 50, concurrency)
        if profile_dir is not None:
            await _profile(port, requests_of, api_pid=uvicorn.pid, count=profiled, concurrency=concurrency,
                           directory=profile_dir)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in ENDPOINTS}
        cpu_of = {"api": uvicorn.pid, "pg": server.postmaster_pid()}
        for _ in range(rounds):
            for name, make in requests_of.items():
                results[name].append(await _drive(port, make, requests, concurrency, cpu_of))
        # Latency at one arrival rate for all, a share of the baseline's capacity in this run.
        rate = paced_share * min(r["rps"] for r in results["baseline"])
        paced: dict[str, list[dict[str, float]]] = {name: [] for name in ENDPOINTS}
        for _ in range(rounds):
            for name, make in requests_of.items():
                paced[name].append(await _drive(port, make, paced_requests, concurrency, cpu_of, rate=rate))
        return _table(results, paced, rate, requests=requests, concurrency=concurrency, rounds=rounds,
                      paced_requests=paced_requests)
    finally:
        if uvicorn is not None:
            uvicorn.terminate()
            uvicorn.wait(20)
        server.close()


def _least(runs: list[dict[str, float]], key: str) -> float:
    return min(r[key] for r in runs)


def _table(results: dict[str, list[dict[str, float]]], paced: dict[str, list[dict[str, float]]], rate: float, *,
           requests: int, concurrency: int, rounds: int, paced_requests: int) -> str:
    lines = [
        f"Check-in and check-out vs. one-insert baseline: PostgreSQL, uvicorn (1 process, uvloop, httptools) on "
        f"127.0.0.1, {requests} requests x {rounds} rounds per endpoint, interleaved, {concurrency} keep-alive "
        f"connections from a lean asyncio client (bench/rawhttp.py) on the same 2-core machine.",
        "",
        "**Capacity** (as fast as the server answers; best round shown, all rounds listed; CPU: least of the rounds):",
        "",
        "| endpoint | requests/s | p50 ms | p99 ms | rounds (req/s) | API CPU ms/request | PostgreSQL CPU ms/request "
        "| client CPU ms/request |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for name, runs in results.items():
        best = max(runs, key=lambda r: r["rps"])
        lines.append(f"| {name} | {best['rps']:.0f} | {best['p50']:.1f} | {best['p99']:.1f} | "
                     f"{', '.join(format(r['rps'], '.0f') for r in runs)} | {_least(runs, 'cpu_api'):.2f} | "
                     f"{_least(runs, 'cpu_pg'):.2f} | {_least(runs, 'cpu_client'):.2f} |")
    lines += ["", f"**Latency at {rate:.0f} requests/s** (the same arrival rate for all, a share of the baseline's "
              f"capacity, {paced_requests} requests per round; the better round shown):", "",
              "| endpoint | p50 ms | p99 ms | rounds (p99 ms) |", "|---|---:|---:|---|"]
    for name, runs in paced.items():
        best = min(runs, key=lambda r: r["p99"])
        lines.append(f"| {name} | {best['p50']:.1f} | {best['p99']:.1f} | "
                     f"{', '.join(format(r['p99'], '.1f') for r in runs)} |")

    def per_round(name: str, of: str = "baseline") -> str:
        return ", ".join(format(c["rps"] / b["rps"], ".2f") for b, c in zip(results[of], results[name], strict=True))

    def best_ratio(name: str) -> float:
        return max(r["rps"] for r in results[name]) / max(r["rps"] for r in results["baseline"])

    def cpu_ratio(name: str) -> tuple[float, str]:
        least = _least(results[name], "cpu_api") / _least(results["check-in"], "cpu_api")
        return least, ", ".join(format(w["cpu_api"] / c["cpu_api"], ".2f")
                                for c, w in zip(results["check-in"], results[name], strict=True))

    web_cpu, web_cpu_rounds = cpu_ratio("web check-in")
    bare_cpu, bare_cpu_rounds = cpu_ratio("web check-in (no script)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += ["",
              "| ratio (issue 18's goal) | value | per interleaved round |", "|---|---:|---|",
              f"| check-in req/s ÷ baseline | {best_ratio('check-in'):.2f} | {per_round('check-in')} |",
              f"| web check-in API CPU ÷ API check-in API CPU (goal ≤ 1.2) | {web_cpu:.2f} | {web_cpu_rounds} |",
              f"| the same without script (whole page) | {bare_cpu:.2f} | {bare_cpu_rounds} |",
              f"| check-out req/s ÷ baseline (goal ≥ 1.0) | {best_ratio('check-out'):.2f} | {per_round('check-out')} |",
              f"| check-in API CPU ÷ baseline's | "
              f"{_least(results['check-in'], 'cpu_api') / _least(results['baseline'], 'cpu_api'):.2f} | |",
              f"| check-out API CPU ÷ baseline's | "
              f"{_least(results['check-out'], 'cpu_api') / _least(results['baseline'], 'cpu_api'):.2f} | |",
              "",
              f"Load average at the end of the run (1, 5, 15 min): {load}. Other processes on the machine slow "
              "every endpoint alike; compare the ratios, not the absolute figures, when the load is high."]
    return "\n".join(lines)


NOTES = """
## What the paths do
- **API check-in** (`POST /api/check-ins`, own scan): HMAC check of the kiosk token (no database),
  then one statement sent straight to asyncpg with no BEGIN/COMMIT around it: it reads the login,
  volunteer, activity, policy, sign-up and any existing record, and when every condition of
  `checkins/self_scan.py` holds inserts the attendance (a data-modifying CTE, ON CONFLICT DO NOTHING
  on the unique key). No outbox event: nothing consumed `attendance.checked_in`.
- **Web check-in** (`POST /c/<token>`, the page behind the kiosk QR): the same service call with the
  session cookie as the bearer, so the same one statement, which also returns the login's display name
  and whether it holds any role. The page no longer loads the caller's principal first: a login without
  roles (every volunteer) is named and given its menu from the scan's row
  (`accounts.sessions.principal_without_grants`, the same Principal the login query would build); staff
  scanning for themselves, and refused scans (which return no row), load it as any page does. Around
  the statement, what a page needs: the CSRF check and form parse, the template (Jinja no longer checks
  the template files' times at every render). An ended login is sent to log in, as before. The page's script
  sends the CSRF token as a header and asks for the answer's words as JSON (`Accept: application/json`,
  `web/pages/checkins/scan_answer.py`), which it puts in place of the page's main part (the row *web
  check-in*); a browser without scripts posts the form itself and gets the whole page (the row *no script*).
- **Check-out** (`POST /api/check-outs`, own scan): one statement sent straight to asyncpg, like the check-in:
  the context with the record's state and the kind's auto-approval, and a data-modifying CTE that closes
  the record when every condition of `self_scan.SELF_CHECK_OUT` holds (served minutes computed in SQL).
  It was two statements (context, then the guarded UPDATE) until the third pass of 2026-12-06.
- **Baseline**: BEGIN, one ORM INSERT, COMMIT.

## Where the time went (py-spy, `--profile DIR`, 1,500 requests each, API process; `python -m bench.spy_summary`)
- Web check-in before this change (2026-12-06, API CPU 2.34 ms against the API check-in's 0.96, 2.44x):
  loading the principal 18% of the API's samples (one query through SQLAlchemy), the BEGIN and COMMIT that
  query opened 15%, the check-in statement 11%, the template 8%, the rest the request's plumbing that the
  API check-in pays as well.
- After: the check-in statement 34%, the template 12% (Jinja's `Template.render` 9%; `getmtime` of the
  templates 2.4%, now gone), a CSRF cookie the benchmark's client did not send 4% (a phone has it from
  the page's GET; the benchmark sends it now), the CSRF check's keyed hash 2%. What is left over the
  API check-in is the page itself: form, CSRF and about 0.15 ms of template.
- On this machine py-spy's shares overweight the lines that send to PostgreSQL or Redis: the process is
  often taken off the CPU right there (the woken server runs) while other helpers' work keeps the run
  queue long. The CPU per request columns, read from /proc, are the measure; the profiles say where.

## Goals (issue 18), 2026-12-06, three runs of 1,500 requests x 2–3 rounds at load average 9–19
- **Web check-in API CPU ÷ API check-in: 1.19–1.48** per round after this change (runs: 1.21, 1.19, 1.48 and
  1.27, 1.27, 1.35; least CPU of the rounds 1.19 and 1.35), was **2.44–2.63** in a run of the old code the same
  morning (3.5 in the earlier notes). Goal ≤ 1.2: **met in one round of six, not met**. What is left is the
  page itself, about 0.35 ms of API CPU over the API check-in's 1.1: form parse and CSRF check, the result
  template (0.15 ms on a quiet core, twice that at this load), the security headers; the principal query and
  the BEGIN/COMMIT it needed are gone. A result page without the menu would save only a fifth of the
  template (measured: the chrome is about 20% of its render).
- **Check-out req/s ÷ one-insert endpoint: 0.69–1.19** per round with two statements (goal ≥ 1.0: met in one
  round of three; its requests per second swing with the machine's load); its API CPU per request 0.80x the
  baseline's in every run. **With one statement (third pass, evening, load average 9–12): 1.00, 2.00, 1.14 per
  round, met in all three**; API CPU 0.79x the baseline's (the round trip saved is the server's wait, not the
  API's CPU), p99 at the paced rate 226–1,002 ms against the baseline's 150–810.
- **Check-in req/s ÷ one-insert endpoint: 1.20–1.76**; API CPU 0.61x the baseline's.

## How it is measured
The client is bench/rawhttp.py, a keep-alive HTTP/1.1 client of a few dozen lines; its CPU per
request is in the table next to the server's, a fraction of it. httpx, used before, spent
about 5 ms of CPU per request on the same two cores, more than the server, so it set the pace.
The pool holds as many connections as there are requests in flight. The endpoints run in
interleaved rounds against one server; capacity rounds send as fast as the server answers, paced
rounds send every endpoint the same arrival rate.

Read the CPU per request columns first: they hardly move when other work shares the machine, while
requests per second and p99 do. The API process is the bottleneck (one Python process, one core).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--paced-share", type=float, default=0.6,
                        help="the paced rounds' arrival rate, as a share of the baseline's measured capacity")
    parser.add_argument("--paced-requests", type=int, default=0,
                        help="requests per paced round (default: --requests; fewer when the machine is busy, as "
                             "paced rounds last requests / rate seconds)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "checkin.md"))
    parser.add_argument("--profile", type=Path, default=None,
                        help="a directory for py-spy's stacks of the API under each endpoint, before the rounds")
    args = parser.parse_args()
    import uvloop  # the client's loop as lean as the server's

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        table = runner.run(run(args.requests, args.concurrency, args.rounds, args.paced_share,
                               args.paced_requests or args.requests, args.profile))
    print(table)
    Path(args.output).write_text("# Check-in and check-out benchmark\n\nRun: `python bench/checkin_bench.py`\n\n" + table
                                 + "\n" + NOTES)


if __name__ == "__main__":
    main()
