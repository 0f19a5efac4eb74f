"""What postings outside the attendance tally share: the per-volunteer lock and the minutes already counted on a day.

A served request (requests/posting.py) and an approved late claim (records/claim_posting.py) each post one
volunteer's service on one day under the same hours rules as attendance. The daily cap is read, then written, so
the posting takes the tally's per-volunteer lock first: two postings for the same volunteer take turns.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.dialect import is_postgres
from servicebank.ledger.models import ServiceCredit
from servicebank.ledger.rules import EffectiveRule
from servicebank.ledger.tally import LOCK_SPACE


async def lock_volunteer(session: AsyncSession, volunteer_id: int) -> None:
    """Take the tally's per-volunteer lock until commit (PostgreSQL; SQLite has one writer anyway)."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:space, :v)"),
                              {"space": LOCK_SPACE, "v": volunteer_id})


async def minutes_that_day(session: AsyncSession, volunteer_id: int, day: dt.date) -> int:
    """Service minutes already credited to the volunteer on the day, from any source."""
    return int(await session.scalar(select(func.coalesce(func.sum(ServiceCredit.minutes), 0)).where(
        ServiceCredit.volunteer_id == volunteer_id, ServiceCredit.service_date == day)) or 0)


async def capped_minutes(session: AsyncSession, rule: EffectiveRule, *, volunteer_id: int, day: dt.date,
                         served_minutes: int) -> int:
    """The rule's minutes for this service, within what the day's cap leaves after the day's other service."""
    minutes = rule.minutes_for(served_minutes)
    if rule.daily_cap_minutes is None:
        return minutes
    return max(0, min(minutes, rule.daily_cap_minutes - await minutes_that_day(session, volunteer_id, day)))
