"""The counter: scan a volunteer's code or card, then redeem a cart in one all-or-nothing transaction.

Order of writes, the same in every redemption and refund so concurrent ones never deadlock: the code's
nonce, monthly usage rows, item stock rows (by item id), then the ledger (volunteer account first).
Every guard is a conditional UPDATE/upsert whose row count decides, so races resolve in the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.config import Settings
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import affected_rows, table_of
from servicebank.kernel.dialect import upsert
from servicebank.kernel.errors import Conflict, InvalidInput
from servicebank.kernel.events import record_event
from servicebank.kernel.text import mask_name
from servicebank.ledger.transactions import InsufficientBalance, spend, store_account, volunteer_account
from servicebank.stores import card_codes, codes, repository, rules
from servicebank.stores.access import get_store, require_till
from servicebank.stores.models import MonthlyItemUsage, Redemption, RedemptionLine, Store, StoreItem
from servicebank.stores.schemas import ItemEligibility, LineIn, ScanOut

MAX_LINES = 50
MAX_QUANTITY = 999


def _open(store: Store) -> None:
    if not store.is_active:
        raise Conflict("This store is closed for redemptions.", code="store_closed")


def _till(store: Store, actor: Principal, settings: Settings, client_address: str | None) -> codes.Till:
    return codes.Till(settings=settings, community_id=store.community_id, clerk_user_id=actor.user_id,
                      client_address=client_address)


async def scan(session: AsyncSession, *, actor: Principal, settings: Settings, store_id: int, code: str,
               now: dt.datetime | None = None, client_address: str | None = None) -> ScanOut:
    """Who the code names, their balance, and what they may redeem here; spends nothing."""
    now = now or utcnow()
    store = await get_store(session, store_id)
    require_till(actor, store)
    _open(store)
    scanned = await codes.resolve(session, code, secret_key=settings.signing_keys(now), now=now,
                                  till=_till(store, actor, settings, client_address))
    await codes.refuse_if_spent(session, scanned)
    standing = await rules.volunteer_at_store(session, volunteer_id=scanned.volunteer_id, store=store)
    items = await repository.items_of_store(session, store.id)
    used = await repository.usage_this_month(session, volunteer_id=standing.volunteer.id,
                                             month=rules.local_month(now, settings.timezone),
                                             item_ids=[i.id for i in items])
    store_problem = rules.hours_problem(standing, store)
    confirm_with = await card_codes.confirm_paths(session, standing.volunteer) if scanned.method == "card" else []
    # A card without a PIN still pays when a code can be texted to the volunteer's phone: only a card with neither
    # is refused at the scan (card_pin_not_set).
    pin_ready = scanned.method != "card" or bool(confirm_with)
    rows = []
    for item in items:
        problem = rules.hours_problem(standing, store, item) or rules.item_problem(
            item, quantity=1, used_this_month=used.get(item.id, 0))
        if problem is None and item.price_points > standing.balance:
            problem = InsufficientBalance("Not enough points.")
        rows.append(ItemEligibility(item_id=item.id, name=item.name, price_points=item.price_points, stock=item.stock,
                                    remaining_this_month=rules.remaining_this_month(item, used.get(item.id, 0)),
                                    eligible=problem is None, reason=problem.code if problem else None))
    return ScanOut(volunteer_id=standing.volunteer.id, volunteer_name=mask_name(standing.volunteer.real_name),
                   volunteer_number=standing.volunteer.number, method=scanned.method,
                   code_expires_at=scanned.expires_at, balance=standing.balance,
                   service_minutes=standing.service_minutes, eligible=store_problem is None and pin_ready,
                   reason=store_problem.code if store_problem else (None if pin_ready else "card_pin_not_set"),
                   items=rows, pin_required=scanned.method == "card", confirm_with=confirm_with)


def _cart(lines: list[LineIn]) -> dict[int, int]:
    if not lines:
        raise InvalidInput("The cart is empty: pick at least one item.", code="empty_cart")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"A receipt holds at most {MAX_LINES} lines.", code="too_many_lines")
    cart: dict[int, int] = {}
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise InvalidInput(f"Quantities are whole numbers from 1 to {MAX_QUANTITY}.", code="invalid_quantity")
        cart[line.item_id] = cart.get(line.item_id, 0) + line.quantity
    return cart


async def _items(session: AsyncSession, store: Store, cart: dict[int, int]) -> list[StoreItem]:
    found = {i.id: i for i in (await session.scalars(
        select(StoreItem).where(StoreItem.id.in_(list(cart)), StoreItem.store_id == store.id))).all()}
    for item_id in cart:
        item = found.get(item_id)
        if item is None:
            raise InvalidInput(f"Item {item_id} is not in this store's catalogue.", code="item_not_found",
                               item_id=item_id)
        if not item.is_active:
            raise Conflict(f"“{item.name}” has been withdrawn from the catalogue.", code="item_unavailable",
                           item_id=item_id)
    return [found[i] for i in sorted(found)]


async def _take_allowance(session: AsyncSession, item: StoreItem, *, volunteer_id: int, month: str,
                          quantity: int) -> None:
    table = table_of(MonthlyItemUsage)
    stmt = upsert(session, MonthlyItemUsage).values(item_id=item.id, volunteer_id=volunteer_id, month=month,
                                                    quantity=quantity)
    set_ = {"quantity": table.c.quantity + stmt.excluded.quantity}
    if item.monthly_limit is not None:
        stmt = stmt.on_conflict_do_update(index_elements=["item_id", "volunteer_id", "month"], set_=set_,
                                          where=table.c.quantity + stmt.excluded.quantity <= item.monthly_limit)
    else:
        stmt = stmt.on_conflict_do_update(index_elements=["item_id", "volunteer_id", "month"], set_=set_)
    if (await session.execute(stmt.returning(table.c.quantity))).first() is None:
        used = (await repository.usage_this_month(session, volunteer_id=volunteer_id, month=month,
                                                  item_ids=[item.id])).get(item.id, 0)
        raise rules.item_problem(item, quantity=quantity, used_this_month=used) or Conflict(
            "The monthly limit was reached.", code="monthly_limit_exceeded")


async def _take_stock(session: AsyncSession, item: StoreItem, quantity: int) -> None:
    if item.stock is None:
        return
    # Guarded decrement: of racing redemptions only those the stock covers get a row back.
    taken = await session.execute(
        update(StoreItem).where(StoreItem.id == item.id, StoreItem.stock.is_not(None), StoreItem.stock >= quantity)
        .values(stock=StoreItem.stock - quantity).execution_options(synchronize_session=False))
    if affected_rows(taken) != 1:
        left = await session.scalar(select(StoreItem.stock).where(StoreItem.id == item.id))
        raise Conflict(f"Only {left} {item.unit} of “{item.name}” left.", code="out_of_stock", item_id=item.id,
                       available=left)


def receipt_number(store: Store, redemption: Redemption, timezone: str) -> str:
    """Printed on the receipt: store, local date and the receipt's id, e.g. S3-20261114-000123."""
    day = redemption.created_at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    return f"S{store.id}-{day}-{redemption.id:06d}"


@dataclasses.dataclass
class Receipt:
    redemption: Redemption
    lines: list[RedemptionLine]
    store: Store


async def redeem(session: AsyncSession, *, actor: Principal, settings: Settings, store_id: int, code: str,
                 lines: list[LineIn], pin: str | None = None, now: dt.datetime | None = None,
                 client_address: str | None = None, sms_code: str | None = None) -> Receipt:
    """Points from the volunteer to the store for a cart, stock down, code spent: all of it or nothing.

    A phone code is the volunteer's consent; a printed card needs the volunteer's card PIN, or a code texted to
    their phone (card_codes.py), as well. On card_pin.WrongCardPin or one_time_codes.WrongCode the caller commits
    (the failed attempt must count) before answering."""
    now = now or utcnow()
    store = await get_store(session, store_id)
    require_till(actor, store)
    _open(store)
    cart = _cart(lines)
    scanned = await codes.resolve(session, code, secret_key=settings.signing_keys(now), now=now,
                                  till=_till(store, actor, settings, client_address))
    standing = await rules.volunteer_at_store(session, volunteer_id=scanned.volunteer_id, store=store)
    volunteer_id = standing.volunteer.id
    if scanned.method == "card":
        # The first write of a card redemption, so a wrong PIN can be committed with nothing else in it.
        await card_codes.confirm_card(session, settings=settings, volunteer=standing.volunteer, pin=pin,
                                      sms_code=sms_code)
    items = await _items(session, store, cart)
    month = rules.local_month(now, settings.timezone)
    used = await repository.usage_this_month(session, volunteer_id=volunteer_id, month=month, item_ids=list(cart))
    # Clear refusals first, from what is known now; the guarded writes below decide the races.
    for item in items:
        problem = rules.hours_problem(standing, store, item) or rules.item_problem(
            item, quantity=cart[item.id], used_this_month=used.get(item.id, 0))
        if problem is not None:
            raise problem
    total = sum(item.price_points * cart[item.id] for item in items)
    if total > standing.balance:
        raise InsufficientBalance(f"Not enough points: {total} needed, {standing.balance} available.",
                                  needed=total, available=standing.balance)
    await codes.spend_code(session, scanned, now=now)
    for item in items:
        await _take_allowance(session, item, volunteer_id=volunteer_id, month=month, quantity=cart[item.id])
    for item in items:
        await _take_stock(session, item, cart[item.id])
    redemption = Redemption(store_id=store.id, community_id=store.community_id, volunteer_id=volunteer_id,
                            total_points=total, month=month, method=scanned.method, clerk_user_id=actor.user_id,
                            created_at=now)
    session.add(redemption)
    await session.flush()
    redemption.receipt_no = receipt_number(store, redemption, settings.timezone)
    rows = [RedemptionLine(redemption_id=redemption.id, item_id=item.id, item_name=item.name, unit=item.unit,
                           unit_points=item.price_points, quantity=cart[item.id],
                           points=item.price_points * cart[item.id]) for item in items]
    session.add_all(rows)
    payer = await volunteer_account(session, volunteer_id)
    payee = await store_account(session, store.id)
    txn = await spend(session, from_account_id=payer.id, to_account_id=payee.id, amount=total,
                      source_key=f"redemption:{redemption.id}", kind="redemption",
                      memo=f"{store.name} {redemption.receipt_no}")
    redemption.transaction_id = txn.id
    await session.flush()
    await record_event(session, "redemption.completed", {"redemption_id": redemption.id})
    return Receipt(redemption=redemption, lines=rows, store=store)
