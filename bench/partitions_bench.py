"""`ledger verify` on a ledger partitioned by month: one month against the whole ledger.

Starts a throwaway PostgreSQL on 127.0.0.1, loads a synthetic city with bench/city.py (the harness's city
shape, scaled down; every row lands in the DEFAULT partition), runs `ledger partitions ensure` (each month's
partition made, its rows moved out of DEFAULT, the ended months closed with their checksums), then times,
interleaved, with the bench process's CPU next to PostgreSQL's:
- the full verify with `--deep`: every closed month re-read line by line, as every verify did before (the baseline);
- the full verify: closed months compared with their checksums by counts and sums;
- `verify --month` of one closed month (its lines, its digest) and of the current, open month.

    python bench/partitions_bench.py [--volunteers 100000] [--months 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def run(volunteers: int, months: int, rounds: int) -> str:
    from bench.city import SHAPES, load_city
    from bench.common import PostgresServer, cpu_seconds
    from servicebank.config import Settings
    from servicebank.kernel.db import Database
    from servicebank.ledger import months as ledger_months
    from servicebank.ledger.verify import verify

    scale = volunteers / SHAPES["full"].volunteers
    shape = dataclasses.replace(SHAPES["full"], volunteers=volunteers, communities=max(4, round(400 * scale)),
                                streets=max(1, round(20 * scale)),
                                ledger_entries=round(10_000_000 * scale * months / 6), months=months)
    pg = PostgresServer()
    try:
        url = pg.create_database("partitions_bench")
        city = await load_city(url, shape, redis_url=None, progress=lambda line: print(line, file=sys.stderr))
        db = Database(Settings(database_url=url, redis_url=None, publish_events=False))
        print("bench: partitions ensure", file=sys.stderr)
        started = time.perf_counter()
        upkeep = await ledger_months.ensure(db)
        ensure_s = time.perf_counter() - started
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
        closed = upkeep["closed"][-1]
        current = ledger_months.current_month()
        runs: dict[str, list[tuple[float, float, float]]] = {}
        pid = pg.postmaster_pid()

        async def timed(name: str, **kwargs: object) -> None:
            before_pg, before_me = cpu_seconds(pid), time.process_time()
            started = time.perf_counter()
            report = await verify(db, **kwargs)  # type: ignore[arg-type]
            assert not report.differs, report.as_dict()
            runs.setdefault(name, []).append((time.perf_counter() - started, time.process_time() - before_me,
                                              cpu_seconds(pid) - before_pg))

        await timed("warm-up", deep=True)
        for _ in range(rounds):
            await timed("full, --deep (every month line by line)", deep=True)
            await timed("full (closed months by their checksums)")
            await timed(f"--month {closed} (closed)", month=closed)
            await timed(f"--month {current} (open)", month=current)
        await db.dispose()
    finally:
        pg.close()
    runs.pop("warm-up")
    baseline = sorted(s[0] for s in next(iter(runs.values())))[rounds // 2]
    lines = [
        f"`ledger verify` on a synthetic city: {shape.volunteers:,} volunteers, {shape.months} months "
        f"({city.months[0]} to {city.months[-1]}), {city.counts.get('ledger_entry', 0):,} ledger entries, "
        f"{city.counts.get('ledger_service_credit', 0):,} service credits; {platform.machine()}, "
        f"{os.cpu_count()} cores shared, PostgreSQL on 127.0.0.1. `partitions ensure` (moving every row out of "
        f"DEFAULT into {len(upkeep['created']) // 2} month partitions per table, closing {len(upkeep['closed'])} "
        f"months with their checksums): {ensure_s:.1f} s.",
        "",
        "| verify | median s | ratio to --deep | bench CPU s | PostgreSQL CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, samples in runs.items():
        wall = sorted(s[0] for s in samples)[len(samples) // 2]
        me = sorted(s[1] for s in samples)[len(samples) // 2]
        server = sorted(s[2] for s in samples)[len(samples) // 2]
        lines.append(f"| {name} | {wall:.2f} | {wall / baseline:.2f} | {me:.2f} | {server:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(asyncio.run(run(args.volunteers, args.months, args.rounds)))


if __name__ == "__main__":
    main()
