"""`ledger verify` on a ledger partitioned by month: one month against the whole ledger.

Starts a throwaway PostgreSQL on 127.0.0.1, loads a synthetic city with bench/city.py (the harness's city
shape, scaled down; every row lands in the DEFAULT partition), runs `ledger partitions ensure` (each month's
partition made, its rows moved out of DEFAULT, the ended months closed with their checksums), then times,
interleaved, with the bench process's CPU next to PostgreSQL's:
- the full verify with `--deep`: every closed month re-read line by line, as every verify did before (the baseline);
- the full verify: closed months compared with their checksums by counts and sums;
- `verify --month` of one closed month (its lines, its digest) and of the current, open month.

With `--detach` the city's history ends with last December (a year that can be detached; the year rule is
moved forward for the bench), and each round also times, interleaved: the whole totals rebuild (the baseline
of that table), `leaderboards rebuild --month` of one month, `partitions detach --year`, the full verify with
that year detached, and `partitions attach --year`. `--no-verify` leaves the verify rounds out.

    python bench/partitions_bench.py [--volunteers 100000] [--months 6] [--rounds 3] [--detach] [--no-verify]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def run(volunteers: int, months: int, rounds: int, *, detach: bool = False, verify_rounds: bool = True) -> str:
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
        today = dt.date(dt.date.today().year, 1, 1) if detach else None
        city = await load_city(url, shape, redis_url=None, progress=lambda line: print(line, file=sys.stderr),
                               today=today)
        db = Database(Settings(database_url=url, redis_url=None, publish_events=False))
        print("bench: partitions ensure", file=sys.stderr)
        started = time.perf_counter()
        upkeep = await ledger_months.ensure(db)
        ensure_s = time.perf_counter() - started
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
        closed = city.months[-1]  # the last month of its history, closed by the upkeep
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

        if verify_rounds:
            await timed("warm-up", deep=True)
        for _ in range(rounds if verify_rounds else 0):
            await timed("full, --deep (every month line by line)", deep=True)
            await timed("full (closed months by their checksums)")
            await timed(f"--month {closed} (closed)", month=closed)
            await timed(f"--month {current} (open)", month=current)
        detached = await _detach_rounds(db, pid, closed, rounds) if detach else ""
        await db.dispose()
    finally:
        pg.close()
    runs.pop("warm-up", None)
    header = (f"A synthetic city: {shape.volunteers:,} volunteers, {shape.months} months "
              f"({city.months[0]} to {city.months[-1]}), {city.counts.get('ledger_entry', 0):,} ledger entries, "
              f"{city.counts.get('ledger_service_credit', 0):,} service credits; {platform.machine()}, "
              f"{os.cpu_count()} cores shared, PostgreSQL on 127.0.0.1. `partitions ensure` (moving every row out of "
              f"DEFAULT into {len(upkeep['created']) // 2} month partitions per table, closing "
              f"{len(upkeep['closed'])} months with their checksums): {ensure_s:.1f} s.")
    tables = ([_median_table("`ledger verify` (ratio to --deep)", runs)] if runs else []) + ([detached] if detached else [])
    return "\n\n".join([header, *tables])


def _median_table(title: str, runs: dict[str, list[tuple[float, float, float]]]) -> str:
    """Median wall, bench CPU and PostgreSQL CPU seconds per step, the ratio to the first step's wall time."""
    def median(samples: list[tuple[float, float, float]], i: int) -> float:
        return sorted(s[i] for s in samples)[len(samples) // 2]

    baseline = median(next(iter(runs.values())), 0)
    lines = [f"| {title} | median s | ratio | bench CPU s | PostgreSQL CPU s |", "|---|---:|---:|---:|---:|"]
    for name, samples in runs.items():
        lines.append(f"| {name} | {median(samples, 0):.2f} | {median(samples, 0) / baseline:.2f} | "
                     f"{median(samples, 1):.2f} | {median(samples, 2):.2f} |")
    return "\n".join(lines)


async def _detach_rounds(db: object, pid: int, month: str, rounds: int) -> str:
    """Whole rebuild against one month's; detach, verify and attach of the city's (last) year."""
    from sqlalchemy import delete

    from bench.common import cpu_seconds
    from servicebank.leaderboards.rebuild import rebuild_totals
    from servicebank.leaderboards.rebuild_month import rebuild_month
    from servicebank.ledger import detach
    from servicebank.ledger.models import PeriodTotal
    from servicebank.ledger.verify import verify

    year = int(month[:4])
    later = dt.date(year + detach.YEARS_KEPT, 1, 1)  # the bench's "today": the year may be detached
    runs: dict[str, list[tuple[float, float, float]]] = {}

    async def detach_year() -> None:
        async with db.session_scope() as session:  # type: ignore[attr-defined]
            await detach.detach_year(session, year, today=later)

    async def attach_year() -> None:
        async with db.session_scope() as session:  # type: ignore[attr-defined]
            await detach.attach_year(session, year)

    async def verify_ok() -> None:
        report = await verify(db)  # type: ignore[arg-type]
        assert not report.differs, report.as_dict()

    async def drop_month_rows() -> None:
        """Untimed: the month's period totals gone, so its rebuild writes every row (and sums each year again)."""
        async with db.session_scope() as session:  # type: ignore[attr-defined]
            await session.execute(delete(PeriodTotal).where(PeriodTotal.period == month))

    async def nothing() -> None:
        pass

    steps = [("`rebuild_totals`, every period (baseline)", nothing, lambda: rebuild_totals(db)),  # type: ignore[arg-type]
             (f"`leaderboards rebuild --month {month}`, its rows missing", drop_month_rows,
              lambda: rebuild_month(db, month)),  # type: ignore[arg-type]
             (f"`leaderboards rebuild --month {month}`, nothing to change", nothing,
              lambda: rebuild_month(db, month)),  # type: ignore[arg-type]
             ("full verify, every year attached", nothing, verify_ok),
             (f"`partitions detach --year {year}`", nothing, detach_year),
             (f"full verify, {year} detached (carried figures)", nothing, verify_ok),
             (f"`partitions attach --year {year}`", nothing, attach_year)]
    for _ in range(rounds):
        for name, prepare, step in steps:
            print(f"bench: {name}", file=sys.stderr)
            await prepare()
            before_pg, before_me, started = cpu_seconds(pid), time.process_time(), time.perf_counter()
            await step()
            runs.setdefault(name, []).append((time.perf_counter() - started, time.process_time() - before_me,
                                              cpu_seconds(pid) - before_pg))
    return _median_table("step", runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--detach", action="store_true", help="Also time detach, attach and one month's rebuild.")
    parser.add_argument("--no-verify", action="store_true", help="Leave the verify rounds out.")
    args = parser.parse_args()
    print(asyncio.run(run(args.volunteers, args.months, args.rounds, detach=args.detach,
                          verify_rounds=not args.no_verify)))


if __name__ == "__main__":
    main()
