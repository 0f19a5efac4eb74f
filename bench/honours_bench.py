"""Honour lists for a city: 1,000,000 volunteers in 400 communities (20 streets), generated in one go.

Runs a throwaway PostgreSQL (tests/servers.py), loads the data with COPY, then times
`generate_month` for the whole city (every community and street list) and a second, unchanged run.
Usage: python -m bench.honours_bench [--volunteers 1000000] [--communities 400]. Results: bench/honours.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import random
import time
from zoneinfo import ZoneInfo

import asyncpg

import servicebank.registry  # noqa: F401  (every model, for create_all)
from servicebank.config import Settings
from servicebank.honours.generation import generate_month
from servicebank.kernel.db import Database, metadata
from tests.servers import PostgresServer

TZ = ZoneInfo("Asia/Shanghai")
TARGET_S = 30.0


def _copy_source(rows) -> io.BytesIO:  # noqa: ANN001
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    return io.BytesIO(buffer.getvalue().encode())


async def _copy(conn: asyncpg.Connection, table: str, columns: list[str], rows) -> int:  # noqa: ANN001
    source = _copy_source(rows)
    await conn.copy_to_table(table, source=source, columns=columns, format="text")
    return source.getvalue().count(b"\n")


async def load(url: str, *, volunteers: int, communities: int, seed: int = 2026) -> dict[str, int]:
    """The city: org, volunteers, teams with members, two months of ledger credits, star awards."""
    rnd = random.Random(seed)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).isoformat()
    counts: dict[str, int] = {}
    streets = max(1, communities // 20)
    await conn.execute("INSERT INTO district (id, name) VALUES (1, '示范区')")
    counts["street"] = await _copy(conn, "street", ["id", "district_id", "name"],
                                   ((s, 1, f"街道{s}") for s in range(1, streets + 1)))
    counts["community"] = await _copy(conn, "community", ["id", "district_id", "street_id", "name", "code"],
                                      ((c, 1, (c - 1) % streets + 1, f"社区{c}", f"C{c}")
                                       for c in range(1, communities + 1)))
    counts["volunteer"] = await _copy(
        conn, "volunteer", ["id", "community_id", "number", "real_name", "phone", "skill_tags", "status",
                            "paid_service", "card_version", "public_consent", "created_at"],
        ((v, (v - 1) % communities + 1, f"V{v:08d}", f"志愿者{v}", f"1{v:010d}", "[]", "active",
          "f", 1, "t" if v % 7 else "f", now) for v in range(1, volunteers + 1)))
    teams_per_community = 30
    team_count = communities * teams_per_community
    counts["team"] = await _copy(conn, "team", ["id", "community_id", "name", "kind", "created_at"],
                                 ((t, (t - 1) % communities + 1, f"服务队{t}", "居民", now)
                                  for t in range(1, team_count + 1)))
    # Every other volunteer is in one team of their own community.
    counts["team_member"] = await _copy(
        conn, "team_member", ["team_id", "volunteer_id", "joined_at"],
        ((((v - 1) % communities) + 1 + communities * rnd.randrange(teams_per_community), v, now)
         for v in range(1, volunteers + 1, 2)))
    # Two months of service: October (the list's month) and September (history the query must skip).
    txns, credits = [], []
    txn_id = 0
    for month in (9, 10):
        start = dt.datetime(2026, month, 1, tzinfo=TZ)
        for v in range(1, volunteers + 1):
            if rnd.random() < 0.45:
                continue
            for _ in range(rnd.randint(1, 5)):
                txn_id += 1
                day = rnd.randrange(28)
                posted = (start + dt.timedelta(days=day, hours=rnd.randrange(8, 20))).astimezone(dt.UTC)
                txns.append((txn_id, f"service:{txn_id}", "service", "", posted.isoformat()))
                credits.append((txn_id, txn_id, v, (start + dt.timedelta(days=day)).date().isoformat(),
                                rnd.choice((60, 90, 120, 180, 240)), 0, posted.isoformat()))
    counts["ledger_transaction"] = await _copy(conn, "ledger_transaction",
                                               ["id", "source_key", "kind", "memo", "created_at"], txns)
    counts["ledger_service_credit"] = await _copy(
        conn, "ledger_service_credit", ["id", "transaction_id", "volunteer_id", "service_date", "minutes", "points",
                                        "created_at"], credits)
    del txns, credits
    october = dt.datetime(2026, 10, 10, tzinfo=TZ).astimezone(dt.UTC).isoformat()
    counts["honour_star_award"] = await _copy(
        conn, "honour_star_award", ["id", "source_event_id", "volunteer_id", "level", "reached_at"],
        ((i, i, rnd.randrange(1, volunteers + 1), rnd.randint(1, 5), october) for i in range(1, volunteers // 100)))
    await conn.execute("ANALYZE")
    await conn.close()
    return counts


async def run(volunteers: int, communities: int) -> dict[str, object]:
    server = PostgresServer()
    try:
        url = server.create_database("honours_bench")
        db = Database(Settings(database_url=url))
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        started = time.perf_counter()
        counts = await load(url, volunteers=volunteers, communities=communities)
        load_s = time.perf_counter() - started
        timings = {}
        for label in ("first run (creates every list)", "second run (ledger unchanged)"):
            started = time.perf_counter()
            async with db.session_scope() as session:
                result = await generate_month(session, month="2026-10", timezone="Asia/Shanghai")
            timings[label] = (time.perf_counter() - started, result.as_dict())
        async with db.session_scope() as session:
            from sqlalchemy import func, select

            from servicebank.honours.models import HonourEntry

            entries = await session.scalar(select(func.count()).select_from(HonourEntry))
        await db.dispose()
        return {"counts": counts, "load_s": load_s, "timings": timings, "entries": entries}
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volunteers", type=int, default=1_000_000)
    parser.add_argument("--communities", type=int, default=400)
    args = parser.parse_args()
    out = asyncio.run(run(args.volunteers, args.communities))
    print(f"loaded in {out['load_s']:.1f}s: {out['counts']}")
    for label, (seconds, result) in out["timings"].items():
        verdict = "OK" if seconds < TARGET_S else "OVER TARGET"
        summary = {k: v for k, v in result.items() if k != "list_ids"}
        print(f"{label}: {seconds:.2f}s ({verdict}, target {TARGET_S:.0f}s) {summary}")
    print(f"honour entries stored: {out['entries']}")


if __name__ == "__main__":
    main()
