"""How each line of a volunteer's account came about, in terms a person can check: which activity, how many
minutes were recorded and how many counted (the daily cap can cut them), how many points followed.

The ledger's memo stays the auditors' note ("attendance #10 rev 1: …"); people see these facts instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance
from servicebank.kernel import direct
from servicebank.ledger import repository
from servicebank.ledger.accounts import AccountSummary, account_summary
from servicebank.ledger.models import (
    Account,
    AccountKind,
    AttendancePosting,
    Entry,
    PeriodTotal,
    ServiceCredit,
    Transaction,
    VolunteerStanding,
)
from servicebank.volunteers.models import Volunteer


@dataclass(frozen=True)
class ServiceLine:
    """What one ledger transaction credited for the volunteer's service."""

    activity_title: str
    minutes: int


@dataclass(frozen=True)
class Counted:
    """What an attendance record finally counts for in the account (after rules and the daily cap)."""

    minutes: int
    points: int


async def service_lines(session: AsyncSession, *, volunteer_id: int,
                        transaction_ids: Sequence[int]) -> dict[int, ServiceLine]:
    """transaction id -> the activity and minutes it credited, for the service transactions among them."""
    if not transaction_ids:
        return {}
    rows = await session.execute(
        select(ServiceCredit.transaction_id, func.sum(ServiceCredit.minutes), func.max(Activity.title))
        .join(Attendance, Attendance.id == ServiceCredit.attendance_id)
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(ServiceCredit.volunteer_id == volunteer_id, ServiceCredit.transaction_id.in_(list(transaction_ids)))
        .group_by(ServiceCredit.transaction_id))
    return {int(t): ServiceLine(activity_title=title, minutes=int(m or 0)) for t, m, title in rows.all()}


@dataclass(frozen=True)
class AccountLine:
    """One of the latest entries of a volunteer's account, with what it credited for their service (if it did)."""

    transaction_id: int
    kind: str
    amount: int
    memo: str
    created_at: dt.datetime
    reverses_id: int | None
    service: ServiceLine | None


async def account_page(session: AsyncSession, *, volunteer_id: int,
                       recent: int) -> tuple[AccountSummary, list[AccountLine]] | None:
    """The account page: its head (accounts.account_summary) and the latest `recent` entries, newest first, with
    the activity and minutes each credited; None: no such volunteer.

    On PostgreSQL one read straight to asyncpg, outside the request's transaction (kernel/direct.py): the three
    queries through SQLAlchemy, with the BEGIN and COMMIT they opened, cost the API about 5 ms of CPU, 25 times
    a bare GET (bench/reads.md). Elsewhere (SQLite) those three queries."""
    if direct.sends_direct(session):
        rows = await direct.read(session, _account_page_statement(), {"volunteer_id": volunteer_id, "recent": recent})
        if not rows:
            return None
        community_id, account_id, balance, minutes, points, star = rows[0][:6]
        summary = AccountSummary(community_id=community_id, account_id=account_id, balance=balance or 0,
                                 service_minutes=minutes or 0, points_earned=points or 0, star_level=star or 0)
        return summary, [
            AccountLine(transaction_id=t, kind=k, amount=a, memo=m, created_at=c, reverses_id=r,
                        service=ServiceLine(activity_title=title, minutes=int(credited or 0)) if credits else None)
            for *_, t, k, a, m, c, r, credits, credited, title in rows if t is not None]
    found = await account_summary(session, volunteer_id)
    if found is None:
        return None
    if found.account_id is None:
        return found, []
    entries = await repository.recent_entries(session, account_id=found.account_id, limit=recent)
    lines = await service_lines(session, volunteer_id=volunteer_id, transaction_ids=[e[0] for e in entries])
    return found, [AccountLine(transaction_id=t, kind=k, amount=a, memo=m, created_at=c, reverses_id=r,
                               service=lines.get(t)) for t, k, a, m, c, r in entries]


@lru_cache(maxsize=1)
def _account_page_statement() -> Any:
    # account_summary's head, each of the latest entries (a LATERAL subquery on the account) and what it credited
    # (service_lines as a LATERAL aggregate per entry): one row per entry, or one row of the head alone.
    latest = (select(Entry.id.label("entry_id"), Entry.transaction_id, Entry.amount)
              .where(Entry.account_id == Account.id).order_by(Entry.id.desc()).limit(bindparam("recent"))
              .lateral("latest"))
    credited = (select(func.count().label("credits"), func.sum(ServiceCredit.minutes).label("minutes"),
                       func.max(Activity.title).label("title"))
                .join(Attendance, Attendance.id == ServiceCredit.attendance_id)
                .join(Activity, Activity.id == Attendance.activity_id)
                .where(ServiceCredit.volunteer_id == Volunteer.id,
                       ServiceCredit.transaction_id == latest.c.transaction_id)
                .lateral("credited"))
    return (
        select(Volunteer.community_id, Account.id, Account.balance, VolunteerStanding.service_minutes,
               VolunteerStanding.points_earned, VolunteerStanding.star_level,
               latest.c.transaction_id, Transaction.kind, latest.c.amount, Transaction.memo, Transaction.created_at,
               Transaction.reverses_id, credited.c.credits, credited.c.minutes, credited.c.title)
        .select_from(Volunteer)
        .outerjoin(Account, (Account.kind == AccountKind.VOLUNTEER) & (Account.owner_id == Volunteer.id))
        .outerjoin(VolunteerStanding, VolunteerStanding.volunteer_id == Volunteer.id)
        .outerjoin(latest, true())
        .outerjoin(Transaction, Transaction.id == latest.c.transaction_id)
        .outerjoin(credited, true())
        .where(Volunteer.id == bindparam("volunteer_id"))
        .order_by(latest.c.entry_id.desc())
    )


async def counted(session: AsyncSession, *, attendance_ids: Sequence[int]) -> dict[int, Counted]:
    """attendance id -> minutes and points it counts for now; records not yet posted are absent."""
    if not attendance_ids:
        return {}
    rows = await session.execute(
        select(AttendancePosting.attendance_id, AttendancePosting.minutes, AttendancePosting.points)
        .where(AttendancePosting.attendance_id.in_(list(attendance_ids))))
    return {int(a): Counted(minutes=int(m), points=int(p)) for a, m, p in rows.all()}


async def minutes_by_period(session: AsyncSession, *, volunteer_id: int, periods: Sequence[str]) -> dict[str, int]:
    """period ("2026-11") -> minutes the volunteer's account counts for it; periods without service are absent."""
    rows = await session.execute(select(PeriodTotal.period, PeriodTotal.minutes).where(
        PeriodTotal.volunteer_id == volunteer_id, PeriodTotal.period.in_(list(periods))))
    return {str(period): int(minutes) for period, minutes in rows.all()}
