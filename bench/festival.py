"""The festival: volunteers check in within one minute across many activities while boards are read.

Timeline (full size: 2,000 volunteers, 20 activities of 100):
1. baselines at the festival's arrival rate (bare GET, one-insert POST) on the same server;
2. check-in wave: every volunteer scans the kiosk code of their activity, arrivals spread evenly over
   the window; kiosks refresh their codes and leaderboards, "me" ranks, organiser dashboards and
   kiosk live counts are read in the background the whole time;
3. the festival's two hours are skipped by moving the check-in times back two hours in the database
   (the benchmark cannot wait two hours; nothing else about the records changes);
4. check-out wave over the same window: the festival kind is auto-approved, so every check-out emits
   `attendance.approved` and the worker posts the points;
5. lag: until every attendance is posted in the ledger (per attendance: posting time minus
   check-out time) and until the public leaderboards of all the activities' communities show them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from typing import Any

import asyncpg
import httpx

from bench.city import TZ, City
from bench.common import CpuMeter, LoadResult
from bench.load import Readers, client_for, no_collector_pauses, run_paced
from bench.logins import Logins

SERVED = dt.timedelta(hours=2)


@dataclasses.dataclass(frozen=True)
class FestivalShape:
    activities: int
    per_activity: int
    window_s: float  # the check-in (and the check-out) wave lasts this long
    reads_per_second: float
    baseline_s: float


FESTIVALS = {
    "full": FestivalShape(activities=20, per_activity=100, window_s=60, reads_per_second=10, baseline_s=20),
    "small": FestivalShape(activities=10, per_activity=40, window_s=20, reads_per_second=5, baseline_s=10),
    "tiny": FestivalShape(activities=2, per_activity=20, window_s=4, reads_per_second=4, baseline_s=2),
}


@dataclasses.dataclass
class Festival:
    activity_ids: dict[int, int]  # community id -> festival activity id
    volunteers: dict[int, list[int]]  # community id -> its festival volunteers


def festival_volunteers(city: City, shape: FestivalShape) -> dict[int, list[int]]:
    return {c: city.volunteers_of(c, shape.per_activity) for c in range(1, shape.activities + 1)}


async def prepare(conn: asyncpg.Connection, city: City, shape: FestivalShape) -> Festival:
    """The festival activities (published, auto-approved kind of the community) with confirmed sign-ups."""
    now = dt.datetime.now(dt.UTC)
    volunteers = festival_volunteers(city, shape)
    activity_ids: dict[int, int] = {}
    async with conn.transaction():
        for c in volunteers:
            await conn.execute("INSERT INTO activity_kind (id, community_id, code, name, needs_approval, auto_approve) "
                               "VALUES (nextval('activity_kind_id_seq'), $1, 'festival', '节日活动', false, true)", c)
            activity_ids[c] = await conn.fetchval(
                "INSERT INTO activity (id, community_id, kind, title, description, beneficiary_groups, address, "
                "starts_at, ends_at, status, team_ids, beneficiaries_count, needs_approval, detached_from_series, "
                "published_at, created_at, updated_at) VALUES (nextval('activity_id_seq'), $1, 'festival', $2, '', '[]', '', $3, $4, "
                "'published', '[]', 300, false, false, $5, $5, $5) RETURNING id",
                c, f"社区{c}重阳游园会", now - dt.timedelta(hours=3), now + dt.timedelta(hours=2), now)
        await conn.executemany(
            "INSERT INTO signup (id, activity_id, volunteer_id, status, created_at, updated_at) "
            "VALUES (nextval('signup_id_seq'), $1, $2, 'confirmed', $3, $3)",
            [(activity_ids[c], v, now) for c, vs in volunteers.items() for v in vs])
    return Festival(activity_ids=activity_ids, volunteers=volunteers)


class Kiosks:
    """Each activity's kiosk: the organiser's phone fetches the current code every few seconds."""

    def __init__(self, client: httpx.AsyncClient, festival: Festival, logins: Logins, purpose: str) -> None:
        self.client, self.festival, self.logins, self.purpose = client, festival, logins, purpose
        self.codes: dict[int, str] = {}
        self.fetches = LoadResult(name=f"kiosk code ({purpose})", requests=0, seconds=0.0, errors=0)
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        for c, activity_id in self.festival.activity_ids.items():
            started = time.perf_counter()
            r = await self.client.get(f"/api/activities/{activity_id}/qr", params={"purpose": self.purpose},
                                      headers={"Authorization": f"Bearer {self.logins.organiser_tokens[c]}"})
            self.fetches.requests += 1
            self.fetches.latencies_ms.append((time.perf_counter() - started) * 1000)
            if r.status_code != 200:
                self.fetches.errors += 1
                continue
            self.codes[activity_id] = r.json()["token"]

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(10)
            await self.refresh()

    async def __aenter__(self) -> Kiosks:
        await self.refresh()
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


def _readers(client: httpx.AsyncClient, festival: Festival, logins: Logins, month: str, per_second: float) -> Readers:
    communities = list(festival.activity_ids)
    everyone = [(c, v) for c in communities for v in festival.volunteers[c]]

    def board(cl: httpx.AsyncClient, i: int):  # noqa: ANN202
        c = communities[i % len(communities)]
        return cl.get("/api/leaderboards", params={"scope": f"community:{c}", "period": month, "by": "hours",
                                                   "limit": 100})

    def me(cl: httpx.AsyncClient, i: int):  # noqa: ANN202
        _, v = everyone[(i * 7919) % len(everyone)]
        return cl.get("/api/leaderboards/me", params={"period": month},
                      headers={"Authorization": f"Bearer {logins.volunteer_tokens[v]}"})

    def dashboard(cl: httpx.AsyncClient, i: int):  # noqa: ANN202
        c = communities[i % len(communities)]
        return cl.get("/manage/", params={"community": c}, cookies={"sb_session": logins.organiser_tokens[c]})

    def live(cl: httpx.AsyncClient, i: int):  # noqa: ANN202
        c = communities[i % len(communities)]
        return cl.get(f"/api/activities/{festival.activity_ids[c]}/attendance/live",
                      headers={"Authorization": f"Bearer {logins.organiser_tokens[c]}"})

    return Readers(client, {"leaderboard top 100 (during festival)": board, "own rank /me (during festival)": me,
                            "organiser dashboard /manage/ (during festival)": dashboard,
                            "kiosk live count (during festival)": live}, per_second=per_second)


async def _scan_wave(client: httpx.AsyncClient, festival: Festival, logins: Logins, *, purpose: str,
                     shape: FestivalShape, done_at: dict[int, float]) -> LoadResult:
    people = [(c, v) for c in festival.activity_ids for v in festival.volunteers[c]]
    # Arrivals interleave the activities, as at a real fair.
    people.sort(key=lambda cv: (festival.volunteers[cv[0]].index(cv[1]), cv[0]))
    path = "/api/check-ins" if purpose == "check-in" else "/api/check-outs"
    async with Kiosks(client, festival, logins, purpose) as kiosks:
        def scan(cl: httpx.AsyncClient, i: int):  # noqa: ANN202
            c, v = people[i]
            return cl.post(path, json={"token": kiosks.codes[festival.activity_ids[c]]},
                           headers={"Authorization": f"Bearer {logins.volunteer_tokens[v]}"})

        def note(i: int, response: httpx.Response | None) -> None:
            done_at[people[i][1]] = time.time()

        wave = await run_paced(purpose, scan, total=len(people), seconds=shape.window_s, client=client,
                               ok=lambda r: r.status_code == 201, on_done=note)
    wave.kiosk = kiosks.fetches  # type: ignore[attr-defined]
    return wave


async def _lag(conn: asyncpg.Connection, client: httpx.AsyncClient, festival: Festival, month: str,
               last_checkout: float, timeout_s: float = 300) -> dict[str, Any]:
    """Seconds until every festival attendance is posted and until the leaderboards show every volunteer."""
    activity_ids = list(festival.activity_ids.values())
    expected = sum(len(v) for v in festival.volunteers.values())
    posted_after = shown_after = None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (posted_after is None or shown_after is None):
        if posted_after is None:
            posted = await conn.fetchval(
                "SELECT count(*) FROM ledger_attendance_posting p JOIN attendance a ON a.id = p.attendance_id "
                "WHERE a.activity_id = ANY($1::bigint[])", activity_ids)
            if posted >= expected:
                posted_after = time.time() - last_checkout
        if shown_after is None:
            shown = 0
            for c in festival.activity_ids:
                r = await client.get("/api/leaderboards", params={"scope": f"community:{c}", "period": month,
                                                                  "by": "hours", "limit": 500})
                if r.status_code == 200:
                    mine = set(festival.volunteers[c])
                    shown += sum(1 for row in r.json()["rows"] if row["volunteer_id"] in mine and row["minutes"] > 0)
            if shown >= expected:
                shown_after = time.time() - last_checkout
        await asyncio.sleep(0.5)
    row = await conn.fetchrow(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, percentile_cont(0.99) WITHIN GROUP "
        "(ORDER BY s) AS p99, max(s) AS max, count(*) AS n, sum(minutes) AS minutes FROM ("
        " SELECT extract(epoch FROM t.created_at - a.checked_out_at) AS s, p.minutes FROM attendance a"
        " JOIN ledger_attendance_posting p ON p.attendance_id = a.id"
        " JOIN ledger_transaction t ON t.id = p.first_transaction_id"
        " WHERE a.activity_id = ANY($1::bigint[])) x", activity_ids)
    return {"expected": expected, "posted": row["n"], "minutes_posted": int(row["minutes"] or 0),
            "posting_lag_p50_s": row["p50"], "posting_lag_p99_s": row["p99"], "posting_lag_max_s": row["max"],
            "all_posted_after_last_checkout_s": posted_after, "all_on_leaderboards_after_last_checkout_s": shown_after}


def _client_cpu(started: float, scans: int) -> dict[str, float]:
    """This process's CPU per scan (the lean client, the kiosks and the background readers): who set the pace."""
    return {"client": round((time.process_time() - started) * 1000 / max(scans, 1), 2)}


async def run_festival(*, base_url: str, db_url: str, city: City, logins: Logins, festival: Festival,
                       shape: FestivalShape, progress, cpu_of: dict[str, int] | None = None) -> dict[str, Any]:  # noqa: ANN001
    """Baselines, the two waves with background reads, then the lag; returns every measured figure."""
    month = dt.datetime.now(TZ).strftime("%Y-%m")
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg", "postgresql"))
    total = shape.activities * shape.per_activity
    rate_n = max(10, round(total * shape.baseline_s / shape.window_s))
    results: dict[str, Any] = {"shape": dataclasses.asdict(shape), "month": month}
    meter = CpuMeter(cpu_of or {})
    per_scan: dict[str, dict[str, float]] = {}
    async with client_for(base_url) as client:
        progress(f"festival: baselines at the festival's rate ({rate_n} requests over {shape.baseline_s:.0f} s each)")
        results["baseline_get"] = await run_paced("baseline: bare GET", lambda cl, i: cl.get("/bench/hello"),
                                                  total=rate_n, seconds=shape.baseline_s, client=client)
        results["baseline_insert"] = await run_paced("baseline: one-insert POST",
                                                     lambda cl, i: cl.post("/bench/baseline"),
                                                     total=rate_n, seconds=shape.baseline_s, client=client)

        async def wave(purpose: str, key: str, announce: str) -> dict[int, float]:
            """One measured wave; returns when each volunteer's scan was answered."""
            done_at: dict[int, float] = {}
            progress(announce)
            mark, client_mark = meter.start(), time.process_time()
            results[key] = await _scan_wave(client, festival, logins, purpose=purpose, shape=shape,
                                            done_at=done_at)
            per_scan[key] = meter.per_unit(mark, total) | _client_cpu(client_mark, total)
            # Where the tail fell: due together is one stall, spread out is the requests themselves.
            progress(f"{purpose}: slowest 1% (due at s: ms) "
                     + ", ".join(f"{at:.2f}: {ms:.0f}" for at, ms in results[key].slowest))
            return done_at

        # From the readers' start to the lag's end no collection in this process delays a send (bench/load.py).
        with no_collector_pauses():
            readers = _readers(client, festival, logins, month, shape.reads_per_second)
            readers.start()
            await wave("check-in", "check_in",
                       f"festival: {total} check-ins over {shape.window_s:.0f} s across {shape.activities} activities")
            await conn.execute("UPDATE attendance SET checked_in_at = checked_in_at - $2::interval "
                               "WHERE activity_id = ANY($1::bigint[])", list(festival.activity_ids.values()), SERVED)
            checked_out = await wave("check-out", "check_out",
                                     f"festival: {total} check-outs (auto-approved) over {shape.window_s:.0f} s")
            progress("festival: waiting until the ledger and the leaderboards show every volunteer")
            results["lag"] = await _lag(conn, client, festival, month, max(checked_out.values(), default=time.time()))
            results["readers"] = await readers.stop()
    # Everything each process did during a wave (background reads and the worker's postings included).
    results["cpu_ms_per_scan"] = per_scan
    await conn.close()
    return results
