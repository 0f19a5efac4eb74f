"""A city's worth of data, loaded with COPY and consistent with the ledger's invariants.

Shape (full size): 1,000,000 volunteers in 400 communities of 20 streets, 4,000 teams, six months of
history (20 activities per community per month), 5,000,000 approved attendances, each posted as one
balanced service transaction of two entries (volunteer +points, community -points): 10,000,000 ledger
entries. Account balances are summed from the entries as they are generated; attendance postings,
period totals, standings and the Redis leaderboards are then derived from the stored credits by SQL
and by the points domain's own rebuild, so `servicebank ledger verify` finds nothing to report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import time
from collections import defaultdict
from collections.abc import Callable
from zoneinfo import ZoneInfo

import bench.apps  # noqa: F401  (the baseline endpoint's table joins the schema)
import servicebank.registry  # noqa: F401  (every model)
from bench.copyload import TableLoader, advance_sequences, build_indexes, drop_indexes, loading_connection
from servicebank.activities.kinds import BUILTIN_KINDS
from servicebank.config import Settings
from servicebank.kernel.db import Database, metadata

TZ = ZoneInfo("Asia/Shanghai")
KINDS = list(BUILTIN_KINDS)
DURATIONS = (60, 90, 120, 180, 240)
Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class CityShape:
    volunteers: int
    communities: int
    streets: int
    ledger_entries: int  # two per service transaction
    months: int = 6
    activities_per_month: int = 20
    teams_per_community: int = 10
    team_every: int = 5  # every fifth volunteer is in one team of their community
    active_share: float = 0.7
    seed: int = 2026

    @property
    def services(self) -> int:
        return self.ledger_entries // 2


SHAPES = {
    "full": CityShape(volunteers=1_000_000, communities=400, streets=20, ledger_entries=10_000_000),
    "small": CityShape(volunteers=40_000, communities=40, streets=4, ledger_entries=400_000),
    "tiny": CityShape(volunteers=100, communities=2, streets=1, ledger_entries=1_000, months=2,
                      activities_per_month=6, teams_per_community=2),
}


@dataclasses.dataclass
class City:
    shape: CityShape
    months: list[str]  # "2026-05" .. oldest first; the history ends the month before the run
    counts: dict[str, int]
    timings: dict[str, float]

    def community_of(self, volunteer_id: int) -> int:
        return (volunteer_id - 1) % self.shape.communities + 1

    def volunteers_of(self, community_id: int, count: int) -> list[int]:
        """The first `count` volunteers of a community."""
        return [community_id + self.shape.communities * j for j in range(count)]


def history_months(today: dt.date, count: int) -> list[tuple[int, int]]:
    """The `count` whole months before today's month, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        out.append((year, month))
    return out[::-1]


def _activities(shape: CityShape, months: list[tuple[int, int]]) -> tuple[list[str], list[tuple[str, ...]]]:
    """Activity rows, and per activity id the strings an attendance needs (service date, times, minutes, points)."""
    lines: list[str] = []
    facts: list[tuple[str, ...]] = [()]  # ids start at 1
    a_id = 0
    for c in range(1, shape.communities + 1):
        for m, (year, month) in enumerate(months):
            for k in range(shape.activities_per_month):
                a_id += 1
                day = 1 + (k * 37 + c * 11 + m) % 28
                start = dt.datetime(year, month, day, 9, tzinfo=TZ).astimezone(dt.UTC)
                minutes = DURATIONS[k % len(DURATIONS)]
                end = start + dt.timedelta(minutes=minutes)
                kind = KINDS[(k + c) % len(KINDS)]
                # Elderly visits earn 1.5 points a minute (a community rule); everything else 1.
                points = minutes * 3 // 2 if kind == "elderly_visit" else minutes
                lines.append(f"{a_id}\t{c}\t{kind}\t活动{a_id}\t{start.isoformat()}\t{end.isoformat()}\tcompleted\t"
                             f"{(k % 4) * 10}\t{start.isoformat()}")
                facts.append((dt.date(year, month, day).isoformat(), start.isoformat(), end.isoformat(), str(minutes),
                              str(points)))
    return lines, facts


def _tables() -> dict[str, TableLoader]:
    t = metadata.tables
    return {
        "volunteer": TableLoader(t["volunteer"], ["id", "community_id", "number", "real_name", "phone", "created_at",
                                                  "public_consent"]),
        "ledger_account": TableLoader(t["ledger_account"], ["id", "kind", "owner_id", "balance"]),
        "ledger_transaction": TableLoader(t["ledger_transaction"], ["id", "source_key", "kind", "created_at"]),
        "ledger_entry": TableLoader(t["ledger_entry"], ["id", "transaction_id", "account_id", "amount", "created_at"]),
        "ledger_service_credit": TableLoader(t["ledger_service_credit"], [
            "id", "transaction_id", "volunteer_id", "service_date", "minutes", "points", "attendance_id",
            "created_at"]),
        "attendance": TableLoader(t["attendance"], [
            "id", "activity_id", "volunteer_id", "community_id", "checked_in_at", "checked_out_at", "status",
            "served_minutes", "service_date", "revision", "flags", "decided_at", "created_at"]),
    }


HEAVY = ("volunteer", "team_member", "ledger_account", "ledger_transaction", "ledger_entry", "ledger_service_credit",
         "attendance", "ledger_attendance_posting", "ledger_period_total", "ledger_volunteer_standing", "activity")


async def load_city(url: str, shape: CityShape, *, redis_url: str | None, progress: Progress,
                    today: dt.date | None = None) -> City:
    """Create the schema and load the city; derive every kept figure; build the Redis leaderboards if asked."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    settings = Settings(database_url=url, redis_url=None)
    db = Database(settings)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        from bench.checkin_bench import BenchBase

        await conn.run_sync(BenchBase.metadata.create_all)
    today = today or dt.datetime.now(TZ).date()
    months = history_months(today, shape.months)
    tables = [metadata.tables[n] for n in HEAVY]
    conn = await loading_connection(url)
    await drop_indexes(conn, tables)
    counts = await _load_org(conn, shape, months)
    loaders = _tables()
    facts = counts.pop("_facts")  # type: ignore[arg-type]
    conns = [conn] + [await loading_connection(url) for _ in range(len(loaders) - 1)]
    rnd = random.Random(shape.seed)
    joined = dt.datetime(*months[0], 1, tzinfo=dt.UTC).isoformat()
    community_balance: dict[int, int] = defaultdict(int)
    next_txn = 0
    chunk = 20_000
    for first in range(1, shape.volunteers + 1, chunk):
        last = min(shape.volunteers, first + chunk - 1)
        rows: dict[str, list[str]] = {name: [] for name in loaders}
        for v in range(first, last + 1):
            c = (v - 1) % shape.communities + 1
            rows["volunteer"].append(f"{v}\t{c}\tV{v:08d}\t志愿者{v}\t1{v:010d}\t{joined}\t{'t' if v % 7 else 'f'}")
            balance = 0
            if rnd.random() < shape.active_share:
                # The mean follows what is left, so the city ends close to its ledger-entry count.
                left = max(1.0, (shape.volunteers - v + 1) * shape.active_share)
                per_volunteer = (shape.services - next_txn) / left
                n = max(1, min(shape.months * shape.activities_per_month,
                               rnd.randint(1, max(1, round(2 * per_volunteer - 1)))))
                base = (c - 1) * shape.months * shape.activities_per_month
                for slot in rnd.sample(range(shape.months * shape.activities_per_month), n):
                    if next_txn >= shape.services:
                        break
                    next_txn += 1
                    t = next_txn
                    a = base + slot + 1
                    day, cin, cout, minutes, points = facts[a]
                    pts = int(points)
                    balance += pts
                    community_balance[c] -= pts
                    rows["ledger_transaction"].append(f"{t}\tattendance:{t}:history\tservice\t{cout}")
                    # Lines carry their transaction's created_at (its month partition on PostgreSQL).
                    rows["ledger_entry"].append(f"{2 * t - 1}\t{t}\t{v}\t{pts}\t{cout}")
                    rows["ledger_entry"].append(f"{2 * t}\t{t}\t{shape.volunteers + c}\t{-pts}\t{cout}")
                    rows["ledger_service_credit"].append(f"{t}\t{t}\t{v}\t{day}\t{minutes}\t{points}\t{t}\t{cout}")
                    rows["attendance"].append(f"{t}\t{a}\t{v}\t{c}\t{cin}\t{cout}\tapproved\t{minutes}\t{day}\t1\t[]\t"
                                              f"{cout}\t{cout}")
            # Account ids: volunteer v has account v; community c has account volunteers + c.
            rows["ledger_account"].append(f"{v}\tvolunteer\t{v}\t{balance}")
        await asyncio.gather(*(loaders[name].copy(cx, rows[name]) for name, cx in zip(loaders, conns, strict=True)))
        progress(f"city: volunteers {last:,}/{shape.volunteers:,}, ledger entries {2 * next_txn:,}")
    await loaders["ledger_account"].copy(conn, [f"{shape.volunteers + c}\tcommunity\t{c}\t{community_balance[c]}"
                                                for c in range(1, shape.communities + 1)])
    for extra in conns[1:]:
        await extra.close()
    counts.update({name: loader.rows for name, loader in loaders.items()})
    timings["copy"] = time.perf_counter() - started

    mark = time.perf_counter()
    progress("city: building indexes")
    await build_indexes(conn, tables[:7])
    await conn.execute("ANALYZE ledger_service_credit, attendance")  # for the join just below
    # What the ledger posted per attendance: one service transaction each, derived from the stored credits.
    await conn.execute(
        "INSERT INTO ledger_attendance_posting (attendance_id, volunteer_id, community_id, service_date, minutes, "
        "points, first_transaction_id, last_transaction_id, revision) "
        "SELECT c.attendance_id, c.volunteer_id, a.community_id, c.service_date, c.minutes, c.points, "
        "c.transaction_id, c.transaction_id, 1 FROM ledger_service_credit c JOIN attendance a ON a.id = c.attendance_id")
    timings["indexes"] = time.perf_counter() - mark
    mark = time.perf_counter()
    progress("city: deriving period totals and standings (points.rebuild.rebuild_totals)")
    from servicebank.leaderboards.rebuild import rebuild_redis, rebuild_totals

    summary = await rebuild_totals(db)
    # History is announced already: new star levels reached from here on are the only ones to announce.
    await conn.execute("UPDATE ledger_volunteer_standing SET highest_star_level = star_level WHERE star_level > 0")
    await build_indexes(conn, tables[7:])
    await advance_sequences(conn)
    counts["ledger_period_total"] = summary["period_totals"]
    counts["ledger_attendance_posting"] = await conn.fetchval("SELECT count(*) FROM ledger_attendance_posting")
    timings["derive"] = time.perf_counter() - mark
    mark = time.perf_counter()
    progress("city: VACUUM ANALYZE, CHECKPOINT")
    # Otherwise autovacuum takes up the millions of fresh rows (and the first reads set their hint
    # bits) just when the scenarios start: the festival's first wave once had a p99 of 8 s. The
    # checkpoint writes the pages this dirtied now, not in the middle of a later wave.
    await conn.execute("VACUUM (ANALYZE)")
    await conn.execute("CHECKPOINT")
    timings["vacuum"] = time.perf_counter() - mark
    await conn.close()
    await db.dispose()
    if redis_url:
        mark = time.perf_counter()
        progress("city: building the Redis leaderboards (points.rebuild.rebuild_redis)")
        redis_db = Database(Settings(database_url=url, redis_url=redis_url))
        counts["redis_members"] = await rebuild_redis(redis_db)
        await redis_db.dispose()
        timings["redis"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    return City(shape=shape, months=[f"{y:04d}-{m:02d}" for y, m in months], counts=counts, timings=timings)


async def _load_org(conn, shape: CityShape, months: list[tuple[int, int]]) -> dict[str, object]:  # noqa: ANN001
    """District, streets, communities, kinds, teams with members, activities."""
    t = metadata.tables
    counts: dict[str, object] = {}
    await TableLoader(t["district"], ["id", "name"]).copy(conn, ["1\t示范区"])
    streets = TableLoader(t["street"], ["id", "district_id", "name"])
    await streets.copy(conn, [f"{s}\t1\t街道{s}" for s in range(1, shape.streets + 1)])
    communities = TableLoader(t["community"], ["id", "district_id", "street_id", "name", "code"])
    await communities.copy(conn, [f"{c}\t1\t{(c - 1) % shape.streets + 1}\t社区{c}\tC{c}"
                                  for c in range(1, shape.communities + 1)])
    kinds = TableLoader(t["activity_kind"], ["id", "code", "name"])
    await kinds.copy(conn, [f"{i}\t{code}\t{name}" for i, (code, name) in enumerate(BUILTIN_KINDS.items(), 1)])
    team_count = shape.communities * shape.teams_per_community
    teams = TableLoader(t["team"], ["id", "community_id", "name", "kind"])
    await teams.copy(conn, [f"{i}\t{(i - 1) % shape.communities + 1}\t服务队{i}\t居民" for i in range(1, team_count + 1)])
    members = TableLoader(t["team_member"], ["team_id", "volunteer_id"])
    lines = []
    for v in range(1, shape.volunteers + 1, shape.team_every):
        c = (v - 1) % shape.communities + 1
        lines.append(f"{c + shape.communities * ((v // shape.communities) % shape.teams_per_community)}\t{v}")
    await members.copy(conn, lines)
    activity_lines, facts = _activities(shape, months)
    activities = TableLoader(t["activity"], ["id", "community_id", "kind", "title", "starts_at", "ends_at", "status",
                                             "beneficiaries_count", "published_at"])
    await activities.copy(conn, activity_lines)
    counts.update(street=shape.streets, community=shape.communities, team=team_count, team_member=members.rows,
                  activity=activities.rows, _facts=facts)
    return counts
