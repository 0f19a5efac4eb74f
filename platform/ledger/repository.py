"""The ledger's queries for its front door (service.py): entries, transfers and hours rules."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.ledger.models import Entry, HoursRule, Transaction, TransferRecord


async def recent_entries(session: AsyncSession, *, account_id: int, limit: int) -> list[Row]:
    """The account's latest entries, newest first: (transaction id, kind, amount, memo, created_at, reverses id)."""
    rows = await session.execute(
        select(Entry.transaction_id, Transaction.kind, Entry.amount, Transaction.memo, Transaction.created_at,
               Transaction.reverses_id)
        .join(Transaction, Transaction.id == Entry.transaction_id)
        .where(Entry.account_id == account_id).order_by(Entry.id.desc()).limit(limit))
    return list(rows.all())


async def transferred_in_month(session: AsyncSession, *, volunteer_id: int, month: str) -> int:
    """Points the volunteer gave or donated in a local calendar month ("2026-11")."""
    return int(await session.scalar(select(func.coalesce(func.sum(TransferRecord.amount), 0)).where(
        TransferRecord.from_volunteer_id == volunteer_id, TransferRecord.month == month)) or 0)


async def transaction_by_source_key(session: AsyncSession, source_key: str) -> Transaction | None:
    """The transaction posted for this source key, if any (a repeated request finds the first one)."""
    return await session.scalar(select(Transaction).where(Transaction.source_key == source_key))


async def latest_rule_version(session: AsyncSession, *, kind: str, community_id: int | None) -> int:
    """The highest version of a kind's rule: the community's, or the platform default's (community_id None)."""
    owner = HoursRule.community_id.is_(None) if community_id is None else HoursRule.community_id == community_id
    return await session.scalar(select(func.max(HoursRule.version)).where(HoursRule.kind == kind, owner)) or 0


async def hours_rules(session: AsyncSession, *, community_id: int | None) -> list[HoursRule]:
    """Every version of the platform's default rules and, with community_id, that community's own."""
    owner: ColumnElement[bool] = HoursRule.community_id.is_(None)
    if community_id is not None:
        owner = (HoursRule.community_id == community_id) | owner
    rows = await session.scalars(select(HoursRule).where(owner)
                                 .order_by(HoursRule.kind, HoursRule.community_id, HoursRule.version))
    return list(rows.all())
