"""Old years out of the ledger tables and back (PostgreSQL): `servicebank ledger partitions detach|attach`.

A year detaches when it can no longer change and nothing reads its lines one by one any more: every month of it
closed with a checksum, and the year before the current one over too (its yearly honours and reports are made in
the next year, from the lines). Years detach oldest first and attach newest first, so the attached lines are
always the recent history, after one cut. Before the partitions go, the year's lines are checked against the
stored checksums and their share of every whole-history figure is carried (ledger/carry.py). The month tables
stay in the database, renamed `<partition>_detached`, for the operator to dump and drop (or attach again).

Services take the caller's session and never commit: the command commits, so a refusal or a failure changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, text

from servicebank.kernel import partitions
from servicebank.kernel.dialect import POSTGRESQL, is_postgres, month_text
from servicebank.kernel.errors import InvalidInput
from servicebank.ledger import carry, months
from servicebank.ledger.models import DetachedYear, Entry, MonthChecksum, ServiceCredit, Transaction

Progress = Callable[[str], None]
# The current year and the one before stay attached (see the module's docstring).
YEARS_KEPT = 2


def year_months(year: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


def latest_detachable(today: dt.date | None = None) -> int:
    return (today or dt.datetime.now(dt.UTC).date()).year - YEARS_KEPT


def _quiet(_message: str) -> None:
    pass


async def _require_postgres(session: Any) -> None:
    if not is_postgres(session):
        raise InvalidInput("Only a PostgreSQL ledger has month partitions to detach or attach.",
                           code="partitions_need_postgresql")


async def _lock(session: Any) -> None:
    for table in months.LINE_TABLES:
        await partitions.lock_partitions(session, table)


async def detach_year(session: Any, year: int, *, today: dt.date | None = None,
                      progress: Progress = _quiet) -> dict[str, Any]:
    """Carry the year's figures forward and detach its month partitions; refuse with a code when it may not."""
    stored = await _checked_months(session, year, today, progress)
    progress(f"carrying {year}'s figures forward")
    await carry.store(session, year, month_text(ServiceCredit.service_date, POSTGRESQL))
    detached = []
    for table in months.LINE_TABLES:
        for month in year_months(year):
            if await partitions.detach_month(session, table, month):
                detached.append(partitions.detached_name(table, month))
                progress(f"detached {partitions.partition_name(table, month)}")
    # The months' lines matched their checksums: these are the year's counts.
    entries, credits = sum(row.entries for row in stored), sum(row.credits for row in stored)
    session.add(DetachedYear(year=year, entries=entries, credits=credits, detached_at=dt.datetime.now(dt.UTC)))
    return {"year": year, "entries": entries, "credits": credits, "tables": detached}


async def _checked_months(session: Any, year: int, today: dt.date | None, progress: Progress) -> list[MonthChecksum]:
    """The year's months with history, their lines matching their stored checksums; InvalidInput when the year
    may not detach. Every month of the year has its partition afterwards (rows DEFAULT took moved into it)."""
    await _require_postgres(session)
    if year > latest_detachable(today):
        raise InvalidInput(f"{year} may not be detached yet: the current year and the one before stay attached "
                           f"(the latest year that may be detached is {latest_detachable(today)}).",
                           code="year_too_recent", year=year)
    await _lock(session)
    if await session.get(DetachedYear, year) is not None:
        raise InvalidInput(f"{year} is detached already.", code="year_already_detached", year=year)
    start = carry.year_bounds(year)[0]
    # Only partitions of earlier months are read (pruned by the bound): empty ones when older years are detached.
    earlier = [await session.scalar(select(line.id).where(line.created_at < start).limit(1))
               for line in (Entry, ServiceCredit)]
    if earlier != [None, None]:
        raise InvalidInput(f"Years detach oldest first: the ledger holds lines before {year}.",
                           code="year_not_oldest", year=year)
    to_check = await _months_with_history(session, year)
    if not to_check:
        raise InvalidInput(f"{year} is before the ledger's first transaction: it has nothing to detach.",
                           code="year_empty", year=year)
    stored = {row.month: row for row in (await session.scalars(
        select(MonthChecksum).where(MonthChecksum.month.in_(to_check)))).all()}
    unclosed = [m for m in to_check if m not in stored]
    if unclosed:
        raise InvalidInput(f"Every month of {year} must be closed before it detaches; not closed: "
                           f"{', '.join(unclosed)} (run `servicebank ledger partitions ensure`).",
                           code="year_not_closed", year=year, months=unclosed)
    for table in months.LINE_TABLES:
        for month in year_months(year):
            await partitions.ensure_month(session, table, month)
    differing = []
    for month in to_check:
        progress(f"checking {month} against its checksum")
        if (await months.month_sums(session, month)).sums() != months.Figures.of(stored[month]).sums():
            differing.append(month)
    if differing:
        raise InvalidInput(f"Months of {year} differ from their stored checksums: {', '.join(differing)}; run "
                           "`servicebank ledger verify --month` on them.", code="year_checksum_mismatch",
                           year=year, months=differing)
    return [stored[month] for month in to_check]


async def _months_with_history(session: Any, year: int) -> list[str]:
    """The months of the year from the ledger's first transaction on (none before it can hold a line)."""
    first = await session.scalar(select(func.min(Transaction.created_at)))
    first_month = partitions.month_of(first) if first else months.current_month()
    return [m for m in year_months(year) if m >= first_month]


async def attach_year(session: Any, year: int, *, progress: Progress = _quiet) -> dict[str, Any]:
    """Attach a detached year's month tables again and drop what it carried: the lines count again."""
    await _require_postgres(session)
    await _lock(session)
    row = await session.get(DetachedYear, year)
    if row is None:
        raise InvalidInput(f"{year} is not detached.", code="year_not_detached", year=year)
    newest = await session.scalar(select(func.max(DetachedYear.year)))
    if newest != year:
        raise InvalidInput(f"Years attach newest first: attach {newest} before {year}.",
                           code="year_not_newest_detached", year=year)
    missing = [partitions.detached_name(table, month) for table in months.LINE_TABLES for month in year_months(year)
               if not await partitions.table_exists(session, partitions.detached_name(table, month))]
    if missing:
        raise InvalidInput(f"The detached tables of {year} are not all in the database ({', '.join(missing)}): "
                           "restore them from the archive first.", code="year_archive_missing", year=year,
                           tables=missing)
    attached = []
    for table in months.LINE_TABLES:
        for month in year_months(year):
            await partitions.attach_month(session, table, month)
            attached.append(partitions.partition_name(table, month))
            progress(f"attached {partitions.partition_name(table, month)}")
    await carry.forget(session, year)
    await session.delete(row)
    return {"year": year, "entries": row.entries, "credits": row.credits, "tables": attached}


async def archived_month_sums(session: Any, month: str) -> months.Figures:
    """A detached month's counts and sums, read from its `_detached` tables (to compare with its checksum)."""
    figures = months.Figures()
    figures.transactions = int(await session.scalar(
        select(func.count()).select_from(Transaction).where(months.in_month(Transaction.created_at, month))) or 0)
    entries, credits = (partitions.detached_name(table, month) for table in months.LINE_TABLES)
    figures.entries, figures.entry_points = (int(v) for v in (await session.execute(text(
        f'SELECT count(*), coalesce(sum(abs(amount)), 0) FROM "{entries}"'))).one())
    figures.credits, figures.credit_minutes, figures.credit_points = (int(v) for v in (await session.execute(text(
        f'SELECT count(*), coalesce(sum(minutes), 0), coalesce(sum(points), 0) FROM "{credits}"'))).one())
    return figures
