"""What detached years' lines contributed to the whole-history figures, kept so those figures stay derivable.

A detached year's entries and credits leave the ledger tables (ledger/detach.py), but account balances, the
volunteers' period totals and standings, and the per-record postings (attendance, late claim, served request)
are sums over every line ever posted. Before a year detaches, its lines' share of each sum is stored here,
one row per (kind, subject); `ledger verify` and the totals rebuilds add these rows to the attached lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, union_all

from servicebank.ledger.levels import ALL_TIME
from servicebank.ledger.models import Account, AccountKind, DetachedYear, Entry, ServiceCredit, Transaction, YearCarry

# A served request's posting (requests/posting.py); named here so the ledger imports no more of that domain.
REQUEST_TRANSACTION_KIND = "request_service"

# kind -> what subject_id is
ACCOUNT = "account"  # an account: `amount`, the sum of its entries
PERIOD = "period"  # a volunteer: `minutes` and `points` credited for service in the month `period`
ATTENDANCE = "attendance"  # an attendance: its credits' minutes and points
CLAIM = "claim"  # a late claim: its credits' minutes and points
REQUEST = "request"  # a served request's transaction: its credits' minutes and points
REQUEST_PAID = "request_paid"  # a served request's transaction: what the payer's entries took (negative)
COLUMNS = ["year", "kind", "subject_id", "period", "minutes", "points", "amount"]


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)


def in_year(column: Any, year: int) -> Any:
    start, end = year_bounds(year)
    return (column >= start) & (column < end)


async def store(session: Any, year: int, month_of_service: Any) -> None:
    """Sum the year's lines (their month partitions only) into carry rows; `month_of_service` is the SQL of a
    credit's service month (kernel/dialect.month_text)."""
    y, none, zero = literal(year), literal(""), literal(0)
    entries, credits = in_year(Entry.created_at, year), in_year(ServiceCredit.created_at, year)
    request_txns = select(Transaction.id).where(Transaction.kind == REQUEST_TRANSACTION_KIND,
                                                in_year(Transaction.created_at, year))
    payers = (select(y, literal(REQUEST_PAID), Entry.transaction_id, none, zero, zero, func.sum(Entry.amount))
              .join(Account, Account.id == Entry.account_id)
              .where(entries, Entry.amount < 0, Account.kind.in_((AccountKind.VOLUNTEER, AccountKind.POOL)),
                     Entry.transaction_id.in_(request_txns))
              .group_by(Entry.transaction_id))
    sums = (func.sum(ServiceCredit.minutes), func.sum(ServiceCredit.points), zero)
    for query in (
        select(y, literal(ACCOUNT), Entry.account_id, none, zero, zero, func.sum(Entry.amount))
        .where(entries).group_by(Entry.account_id),
        select(y, literal(PERIOD), ServiceCredit.volunteer_id, month_of_service, *sums)
        .where(credits).group_by(ServiceCredit.volunteer_id, month_of_service),
        select(y, literal(ATTENDANCE), ServiceCredit.attendance_id, none, *sums)
        .where(credits, ServiceCredit.attendance_id.is_not(None)).group_by(ServiceCredit.attendance_id),
        select(y, literal(CLAIM), ServiceCredit.claim_id, none, *sums)
        .where(credits, ServiceCredit.claim_id.is_not(None)).group_by(ServiceCredit.claim_id),
        select(y, literal(REQUEST), ServiceCredit.transaction_id, none, *sums)
        .where(credits, ServiceCredit.transaction_id.in_(request_txns)).group_by(ServiceCredit.transaction_id),
        payers,
    ):
        await session.execute(insert(YearCarry).from_select(COLUMNS, query))


async def forget(session: Any, year: int) -> None:
    await session.execute(delete(YearCarry).where(YearCarry.year == year))


def sums(kind: str) -> Any:
    """Per subject, the minutes, points and amount carried from every detached year (a subquery)."""
    return (select(YearCarry.subject_id.label("subject"), func.sum(YearCarry.minutes).label("minutes"),
                   func.sum(YearCarry.points).label("points"), func.sum(YearCarry.amount).label("amount"))
            .where(YearCarry.kind == kind).group_by(YearCarry.subject_id).subquery())


def service_months() -> Any:
    """(volunteer_id, period, minutes, points) carried per service month, summed over the detached years."""
    return (select(YearCarry.subject_id.label("volunteer_id"), YearCarry.period.label("period"),
                   func.sum(YearCarry.minutes).label("minutes"), func.sum(YearCarry.points).label("points"))
            .where(YearCarry.kind == PERIOD).group_by(YearCarry.subject_id, YearCarry.period))


def with_carried(lines: Any, period: str | None = None) -> Any:
    """(volunteer_id, period, minutes, points) of `lines` (a select of those four, per service month) with what
    detached years carried added; `period`: that month alone."""
    carried = service_months()
    if period is not None:
        carried = carried.where(YearCarry.period == period)
    both = union_all(lines, carried).subquery()
    columns = list(both.c)
    return select(columns[0], columns[1], func.sum(columns[2]), func.sum(columns[3])).group_by(columns[0], columns[1])


async def carried_for(session: Any, kind: str, subject_id: int) -> tuple[int, int]:
    """(minutes, points) detached years carried for one record (an attendance or a late claim)."""
    minutes, points = (await session.execute(
        select(func.coalesce(func.sum(YearCarry.minutes), 0), func.coalesce(func.sum(YearCarry.points), 0))
        .where(YearCarry.kind == kind, YearCarry.subject_id == subject_id))).one()
    return int(minutes), int(points)


async def any_carried(session: Any) -> bool:
    return await session.scalar(select(func.count()).select_from(DetachedYear)) != 0


async def carried_periods(session: Any) -> dict[tuple[int, str], tuple[int, int]]:
    """(volunteer, period) -> (minutes, points) carried, for the months, their years and all time."""
    carried: dict[tuple[int, str], tuple[int, int]] = {}
    for vid, month, minutes, points in (await session.execute(service_months())).all():
        for period in (month, month[:4], ALL_TIME):
            have = carried.get((vid, period), (0, 0))
            carried[(vid, period)] = (have[0] + int(minutes), have[1] + int(points))
    return carried


async def detached_years(session: Any) -> list[int]:
    return list((await session.scalars(select(DetachedYear.year).order_by(DetachedYear.year))).all())


async def attached_from(session: Any) -> dt.datetime | None:
    """Where the attached lines begin: the end of the newest detached year (detached years are the oldest ones)."""
    newest = await session.scalar(select(func.max(DetachedYear.year)))
    return year_bounds(int(newest))[1] if newest is not None else None
