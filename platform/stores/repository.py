"""Queries of the stores domain."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.db import affected_rows
from servicebank.ledger.models import Account, AccountKind, VolunteerStanding
from servicebank.stores.models import (
    MonthlyItemUsage,
    Redemption,
    RedemptionCode,
    RedemptionLine,
    Store,
    StoreItem,
    UsedRedemptionCode,
)


async def stores_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Store]:
    if not ids:
        return []
    return list((await session.scalars(select(Store).where(Store.id.in_(list(ids))).order_by(Store.id))).all())


async def stores_of_community(session: AsyncSession, community_id: int) -> list[Store]:
    query = select(Store).where(Store.community_id == community_id).order_by(Store.id)
    return list((await session.scalars(query)).all())


async def items_of_store(session: AsyncSession, store_id: int, *, active_only: bool = True) -> list[StoreItem]:
    query = select(StoreItem).where(StoreItem.store_id == store_id)
    if active_only:
        query = query.where(StoreItem.is_active.is_(True))
    return list((await session.scalars(query.order_by(StoreItem.sort_order, StoreItem.id))).all())


async def item_was_redeemed(session: AsyncSession, item_id: int) -> bool:
    return await session.scalar(select(RedemptionLine.id).where(RedemptionLine.item_id == item_id).limit(1)) is not None


async def usage_this_month(session: AsyncSession, *, volunteer_id: int, month: str,
                           item_ids: Sequence[int]) -> dict[int, int]:
    """Units of each item the volunteer redeemed this month (refunds already taken off)."""
    if not item_ids:
        return {}
    rows = await session.execute(select(MonthlyItemUsage.item_id, MonthlyItemUsage.quantity).where(
        MonthlyItemUsage.volunteer_id == volunteer_id, MonthlyItemUsage.month == month,
        MonthlyItemUsage.item_id.in_(list(item_ids))))
    return {item_id: quantity for item_id, quantity in rows.all()}


async def service_minutes(session: AsyncSession, volunteer_id: int) -> int:
    """Cumulative service minutes the ledger has recorded for the volunteer."""
    value = await session.scalar(select(VolunteerStanding.service_minutes)
                                 .where(VolunteerStanding.volunteer_id == volunteer_id))
    return int(value or 0)


async def volunteer_balance(session: AsyncSession, volunteer_id: int) -> int:
    """The volunteer's points balance (0 before the first posting)."""
    value = await session.scalar(select(Account.balance).where(Account.kind == AccountKind.VOLUNTEER,
                                                               Account.owner_id == volunteer_id))
    return int(value or 0)


async def lines_of(session: AsyncSession, redemption_ids: Sequence[int]) -> dict[int, list[RedemptionLine]]:
    found: dict[int, list[RedemptionLine]] = defaultdict(list)
    ids = sorted(set(redemption_ids))
    for start in range(0, len(ids), 1000):
        rows = await session.scalars(select(RedemptionLine).where(RedemptionLine.redemption_id.in_(ids[start:start + 1000]))
                                     .order_by(RedemptionLine.id))
        for line in rows.all():
            found[line.redemption_id].append(line)
    return found


async def redemptions_of_store(session: AsyncSession, store_id: int, *, start: dt.datetime,
                               end: dt.datetime, limit: int = 500) -> list[Redemption]:
    """Receipts made, or refunded, in [start, end), newest first."""
    query = (select(Redemption).where(Redemption.store_id == store_id, or_(
        and_(Redemption.created_at >= start, Redemption.created_at < end),
        and_(Redemption.refunded_at >= start, Redemption.refunded_at < end)))
        .order_by(Redemption.created_at.desc(), Redemption.id.desc()).limit(limit))
    return list((await session.scalars(query)).all())


async def redemptions_of_volunteer(session: AsyncSession, volunteer_id: int, *, limit: int,
                                   before_id: int | None = None) -> list[Redemption]:
    query = select(Redemption).where(Redemption.volunteer_id == volunteer_id)
    if before_id is not None:
        query = query.where(Redemption.id < before_id)
    return list((await session.scalars(query.order_by(Redemption.id.desc()).limit(limit))).all())


async def prune_expired_codes(session: AsyncSession, *, before: dt.datetime) -> int:
    """Forget spent codes' nonces and short codes that expired before `before`; returns how many rows went.
    An expired code is refused by its expiry alone, and a short code's digits may then be drawn again."""
    spent = await session.execute(delete(UsedRedemptionCode).where(UsedRedemptionCode.expires_at < before))
    short = await session.execute(delete(RedemptionCode).where(RedemptionCode.expires_at < before))
    return affected_rows(spent) + affected_rows(short)
