"""Receipts after the fact: reading them (volunteer, store), refunding a whole one once, history lists."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit
from servicebank.config import Settings
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import affected_rows
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.kernel.text import mask_name
from servicebank.ledger.models import Account, AccountKind
from servicebank.ledger.transactions import reverse
from servicebank.stores import repository
from servicebank.stores.access import get_store, require_till, works_till
from servicebank.stores.models import MonthlyItemUsage, Redemption, RedemptionStatus, StoreItem
from servicebank.stores.schemas import LineOut, RedemptionOut
from servicebank.stores.till import Receipt
from servicebank.volunteers.models import Volunteer


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def refundable_until(receipt: Receipt) -> dt.datetime:
    return _aware(receipt.redemption.created_at) + dt.timedelta(days=receipt.store.refund_days)


def to_out(receipt: Receipt, volunteer_name: str) -> RedemptionOut:
    """The receipt as both the volunteer and the store see it (name masked)."""
    r = receipt.redemption
    return RedemptionOut(
        id=r.id, receipt_no=r.receipt_no or "", store_id=r.store_id, store_name=receipt.store.name,
        volunteer_id=r.volunteer_id, volunteer_name=mask_name(volunteer_name), total_points=r.total_points,
        method=r.method, status=r.status, created_at=_aware(r.created_at), refundable_until=refundable_until(receipt),
        refunded_at=_aware(r.refunded_at) if r.refunded_at else None, refund_reason=r.refund_reason,
        lines=[LineOut(item_id=x.item_id, item_name=x.item_name, unit=x.unit, unit_points=x.unit_points,
                       quantity=x.quantity, points=x.points) for x in receipt.lines])


async def outs(session: AsyncSession, receipts: list[Receipt]) -> list[RedemptionOut]:
    """Receipts for output, with the volunteers' names looked up in one query."""
    ids = sorted({r.redemption.volunteer_id for r in receipts})
    names: dict[int, str] = dict((await session.execute(
        select(Volunteer.id, Volunteer.real_name).where(Volunteer.id.in_(ids)))).tuples().all()) if ids else {}
    return [to_out(r, names.get(r.redemption.volunteer_id, "")) for r in receipts]


async def _load(session: AsyncSession, redemption_id: int) -> Receipt:
    redemption = await session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound("No such receipt.", code="redemption_not_found")
    store = await get_store(session, redemption.store_id)
    lines = (await repository.lines_of(session, [redemption.id])).get(redemption.id, [])
    return Receipt(redemption=redemption, lines=lines, store=store)


async def receipt_for(session: AsyncSession, *, actor: Principal, redemption_id: int) -> Receipt:
    """A receipt, for the volunteer who redeemed and for the store's staff; 404 for anyone else."""
    receipt = await _load(session, redemption_id)
    if actor.volunteer_id != receipt.redemption.volunteer_id and not works_till(actor, receipt.store):
        raise NotFound("No such receipt.", code="redemption_not_found")
    return receipt


async def refund(session: AsyncSession, *, actor: Principal, redemption_id: int, reason: str | None,
                 now: dt.datetime | None = None) -> Receipt:
    """Reverse a whole receipt once, within the store's refund period: points back, stock back up."""
    now = now or utcnow()
    receipt = await _load(session, redemption_id)
    redemption, store = receipt.redemption, receipt.store
    if not works_till(actor, store):
        if actor.volunteer_id == redemption.volunteer_id:
            raise Forbidden("Refunds are made by the store at its counter; please bring the goods back there.",
                            code="not_store_clerk")
        try:
            require_till(actor, store)
        except NotFound:
            raise NotFound("No such receipt.", code="redemption_not_found") from None
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > 500:
        raise InvalidInput("Keep the reason under 500 characters.", code="invalid_reason")
    if redemption.status == RedemptionStatus.REFUNDED:
        raise Conflict("This receipt has already been refunded.", code="already_refunded")
    if now > refundable_until(receipt):
        raise Conflict(f"Refunds are possible within {store.refund_days} days of the redemption; this receipt is "
                       "older.", code="refund_period_over")
    # Guarded: of two refunds racing for the receipt only one changes the row.
    marked = await session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.status == RedemptionStatus.COMPLETED)
        .values(status=RedemptionStatus.REFUNDED, refunded_at=now, refunded_by_user_id=actor.user_id,
                refund_reason=reason).execution_options(synchronize_session=False))
    if affected_rows(marked) != 1:
        raise Conflict("This receipt has already been refunded.", code="already_refunded")
    for line in sorted(receipt.lines, key=lambda x: x.item_id):
        await session.execute(update(MonthlyItemUsage).where(
            MonthlyItemUsage.item_id == line.item_id, MonthlyItemUsage.volunteer_id == redemption.volunteer_id,
            MonthlyItemUsage.month == redemption.month).values(quantity=MonthlyItemUsage.quantity - line.quantity))
    for line in sorted(receipt.lines, key=lambda x: x.item_id):
        await session.execute(update(StoreItem).where(StoreItem.id == line.item_id, StoreItem.stock.is_not(None))
                              .values(stock=StoreItem.stock + line.quantity)
                              .execution_options(synchronize_session=False))
    # Lock the volunteer's account before the ledger touches the store's: redemptions lock in that order.
    await session.execute(select(Account.id).where(Account.kind == AccountKind.VOLUNTEER,
                                                   Account.owner_id == redemption.volunteer_id).with_for_update())
    assert redemption.transaction_id is not None
    txn = await reverse(session, transaction_id=redemption.transaction_id,
                        source_key=f"redemption-refund:{redemption.id}",
                        memo=f"{store.name} {redemption.receipt_no}")  # the kind (reversal) says it is a refund
    await session.refresh(redemption)
    redemption.refund_transaction_id = txn.id
    await session.flush()
    await record_event(session, "redemption.refunded", {"redemption_id": redemption.id})
    await record_audit(session, actor=actor, action="redemption.refund", entity_type="redemption",
                       entity_id=redemption.id, community_id=store.community_id,
                       after={"receipt_no": redemption.receipt_no, "points": redemption.total_points}, reason=reason)
    return receipt


def local_day_bounds(day: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants a local day starts and ends at."""
    tz = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(), tz)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


async def store_receipts(session: AsyncSession, *, actor: Principal, settings: Settings, store_id: int,
                         day: dt.date | None) -> list[Receipt]:
    """A store's receipts made or refunded on a local day (today by default), newest first."""
    store = await get_store(session, store_id)
    require_till(actor, store)
    day = day or utcnow().astimezone(ZoneInfo(settings.timezone)).date()
    start, end = local_day_bounds(day, settings.timezone)
    rows = await repository.redemptions_of_store(session, store.id, start=start, end=end)
    lines = await repository.lines_of(session, [r.id for r in rows])
    return [Receipt(redemption=r, lines=lines.get(r.id, []), store=store) for r in rows]


async def my_receipts(session: AsyncSession, *, actor: Principal, limit: int, before_id: int | None) -> list[Receipt]:
    """The caller's own redemption history, newest first."""
    volunteer_id = actor.require_volunteer()
    if not 1 <= limit <= 200:
        raise InvalidInput("Ask for 1 to 200 receipts at a time.", code="invalid_limit")
    rows = await repository.redemptions_of_volunteer(session, volunteer_id, limit=limit, before_id=before_id)
    lines = await repository.lines_of(session, [r.id for r in rows])
    stores = {s.id: s for s in await repository.stores_by_ids(session, sorted({r.store_id for r in rows}))}
    return [Receipt(redemption=r, lines=lines.get(r.id, []), store=stores[r.store_id]) for r in rows]

