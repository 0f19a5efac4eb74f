"""Registering stores and keeping their catalogues (organisers); reading them (volunteers, clerks)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.db import affected_rows
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.org.access import guard
from servicebank.org.models import Community
from servicebank.stores import repository
from servicebank.stores.access import get_store, require_store_manager, require_till, require_viewer, works_till
from servicebank.stores.models import ItemKind, MonthlyItemUsage, Store, StoreItem, StoreKind
from servicebank.stores.schemas import ItemIn, ItemPatch, StoreIn, StorePatch

MAX_REFUND_DAYS = 365


def _text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str | None:
    value = (value or "").strip() or None
    if value is None and required:
        raise InvalidInput(f"Give a {field}.", code=f"invalid_{field}")
    if value is not None and len(value) > max_length:
        raise InvalidInput(f"The {field} may have at most {max_length} characters.", code=f"invalid_{field}")
    return value


def _check_store_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "name" in fields:
        fields["name"] = _text(fields["name"], field="name", max_length=100, required=True)
    for name, limit in (("address", 200), ("contact_phone", 32), ("opening_hours", 100), ("description", 1000)):
        if name in fields:
            fields[name] = _text(fields[name], field=name, max_length=limit)
    if "kind" in fields and fields["kind"] not in StoreKind.ALL:
        raise InvalidInput(f"A store's kind is one of {', '.join(StoreKind.ALL)}.", code="invalid_store_kind")
    if "refund_days" in fields and not 0 <= fields["refund_days"] <= MAX_REFUND_DAYS:
        raise InvalidInput(f"Refunds may be allowed for 0 to {MAX_REFUND_DAYS} days.", code="invalid_refund_days")
    if "min_service_minutes" in fields and fields["min_service_minutes"] < 0:
        raise InvalidInput("The service-hours threshold cannot be negative.", code="invalid_min_service_minutes")
    return fields


async def _unique_store_name(session: AsyncSession, *, community_id: int, name: str, store_id: int | None) -> None:
    found = await session.scalar(select(Store.id).where(Store.community_id == community_id, Store.name == name))
    if found is not None and found != store_id:
        raise Conflict(f"The community already has a store called {name}.", code="duplicate_store_name")


async def create_store(session: AsyncSession, *, actor: Principal, data: StoreIn) -> Store:
    """Register a store for a community (organisers and admins)."""
    if await session.get(Community, data.community_id) is None:
        raise NotFound("No such community.", code="community_not_found")
    guard(actor.require_manager, data.community_id, code="community_not_found", what="community")
    fields = _check_store_fields(msgspec.structs.asdict(data))
    await _unique_store_name(session, community_id=data.community_id, name=fields["name"], store_id=None)
    store = Store(**fields)
    session.add(store)
    await session.flush()
    await record_audit(session, actor=actor, action="store.create", entity_type="store", entity_id=store.id,
                       community_id=store.community_id, after=snapshot(store))
    return store


async def update_store(session: AsyncSession, *, actor: Principal, store_id: int, data: StorePatch) -> Store:
    """Change a store's details, settings or open/closed state."""
    store = await get_store(session, store_id)
    require_store_manager(actor, store)
    fields = _check_store_fields({k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET})
    if "name" in fields:
        await _unique_store_name(session, community_id=store.community_id, name=fields["name"], store_id=store.id)
    before = snapshot(store)
    for key, value in fields.items():
        setattr(store, key, value)
    await session.flush()
    await record_audit(session, actor=actor, action="store.update", entity_type="store", entity_id=store.id,
                       community_id=store.community_id, before=before, after=snapshot(store))
    return store


async def stores_for(session: AsyncSession, *, actor: Principal, community_id: int | None) -> list[Store]:
    """Stores of a community (default: the caller's own community, or the stores they clerk at)."""
    if community_id is None:
        if actor.volunteer_community_id is not None:
            community_id = actor.volunteer_community_id
        elif actor.clerk_store_ids:
            return await repository.stores_by_ids(session, sorted(actor.clerk_store_ids))
        else:
            raise InvalidInput("Say which community's stores to list (community_id).", code="community_required")
    if not actor.belongs_to(community_id):
        clerk_here = [s for s in await repository.stores_by_ids(session, sorted(actor.clerk_store_ids))
                      if s.community_id == community_id]
        if not clerk_here:
            raise NotFound("No such community.", code="community_not_found")
        return clerk_here
    stores = await repository.stores_of_community(session, community_id)
    if not actor.manages(community_id):
        stores = [s for s in stores if s.is_active or s.id in actor.clerk_store_ids]
    return stores


async def store_for(session: AsyncSession, *, actor: Principal, store_id: int) -> Store:
    """One store the caller may see."""
    store = await get_store(session, store_id)
    require_viewer(actor, store)
    return store


async def items_for(session: AsyncSession, *, actor: Principal, store_id: int,
                    include_inactive: bool = False) -> list[StoreItem]:
    """The catalogue; withdrawn items only for the store's staff when asked."""
    store = await store_for(session, actor=actor, store_id=store_id)
    show_all = include_inactive and works_till(actor, store)
    return await repository.items_of_store(session, store.id, active_only=not show_all)


def _check_item_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "name" in fields:
        fields["name"] = _text(fields["name"], field="name", max_length=100, required=True)
    if "unit" in fields:
        fields["unit"] = _text(fields["unit"], field="unit", max_length=16, required=True)
    if "description" in fields:
        fields["description"] = _text(fields["description"], field="description", max_length=500)
    if "kind" in fields and fields["kind"] not in ItemKind.ALL:
        raise InvalidInput(f"An item is one of {', '.join(ItemKind.ALL)}.", code="invalid_item_kind")
    if "price_points" in fields and not 1 <= fields["price_points"] <= 1_000_000:
        raise InvalidInput("The price is a whole number of points from 1 to 1,000,000.", code="invalid_price")
    if fields.get("stock") is not None and fields["stock"] < 0:
        raise InvalidInput("Stock cannot be negative; leave it empty for unlimited.", code="invalid_stock")
    if fields.get("monthly_limit") is not None and fields["monthly_limit"] < 1:
        raise InvalidInput("A monthly limit is at least 1 unit; leave it empty for no limit.",
                           code="invalid_monthly_limit")
    if "min_service_minutes" in fields and fields["min_service_minutes"] < 0:
        raise InvalidInput("The service-hours threshold cannot be negative.", code="invalid_min_service_minutes")
    return fields


async def _unique_item_name(session: AsyncSession, *, store_id: int, name: str, item_id: int | None) -> None:
    found = await session.scalar(select(StoreItem.id).where(StoreItem.store_id == store_id, StoreItem.name == name))
    if found is not None and found != item_id:
        raise Conflict(f"The catalogue already has an item called {name}.", code="duplicate_item_name")


async def create_item(session: AsyncSession, *, actor: Principal, store_id: int, data: ItemIn) -> StoreItem:
    """Add goods or a service to a store's catalogue."""
    store = await get_store(session, store_id)
    require_store_manager(actor, store)
    fields = _check_item_fields(msgspec.structs.asdict(data))
    await _unique_item_name(session, store_id=store.id, name=fields["name"], item_id=None)
    item = StoreItem(store_id=store.id, **fields)
    session.add(item)
    await session.flush()
    await record_audit(session, actor=actor, action="store_item.create", entity_type="store_item",
                       entity_id=item.id, community_id=store.community_id, after=snapshot(item))
    return item


async def get_item(session: AsyncSession, *, store_id: int, item_id: int) -> StoreItem:
    item = await session.get(StoreItem, item_id)
    if item is None or item.store_id != store_id:
        raise NotFound("No such item in this store's catalogue.", code="item_not_found")
    return item


async def update_item(session: AsyncSession, *, actor: Principal, store_id: int, item_id: int,
                      data: ItemPatch) -> StoreItem:
    """Change an item: price, stock (absolute or restock), limits, or withdraw it (is_active false)."""
    store = await get_store(session, store_id)
    require_store_manager(actor, store)
    item = await get_item(session, store_id=store.id, item_id=item_id)
    fields = _check_item_fields({k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET})
    restock = fields.pop("restock", None)
    if restock is not None and "stock" in fields:
        raise InvalidInput("Give either stock or restock, not both.", code="invalid_stock")
    if "name" in fields:
        await _unique_item_name(session, store_id=store.id, name=fields["name"], item_id=item.id)
    return await _change_item(session, actor=actor, store=store, item=item, fields=fields, restock=restock)


async def _change_item(session: AsyncSession, *, actor: Principal, store: Store, item: StoreItem,
                       fields: dict[str, Any], restock: int | None) -> StoreItem:
    before = snapshot(item)
    if restock:
        # Atomic, like the till's decrement: a sale during the restock is never lost.
        moved = await session.execute(
            update(StoreItem).where(StoreItem.id == item.id, StoreItem.stock.is_not(None),
                                    StoreItem.stock + restock >= 0)
            .values(stock=StoreItem.stock + restock).execution_options(synchronize_session=False))
        if affected_rows(moved) != 1:
            raise Conflict("Restock applies to counted stock and cannot take it below zero.", code="invalid_restock")
        await session.refresh(item, ["stock"])
    for key, value in fields.items():
        setattr(item, key, value)
    item.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await record_audit(session, actor=actor, action="store_item.update", entity_type="store_item",
                       entity_id=item.id, community_id=store.community_id, before=before, after=snapshot(item))
    return item


async def adjust_stock(session: AsyncSession, *, actor: Principal, store_id: int, item_id: int,
                       stock: int | None = None, restock: int | None = None) -> StoreItem:
    """The counter's stock work (clerks too): a stocktake count (`stock`) or goods in/out (`restock`) of an
    item with counted stock. Prices, limits and the catalogue itself stay with the organisers."""
    store = await get_store(session, store_id)
    require_till(actor, store)
    item = await get_item(session, store_id=store.id, item_id=item_id)
    if (stock is None) == (restock is None):
        raise InvalidInput("Give either the counted stock or the number of units added.", code="invalid_stock")
    if item.stock is None:
        raise InvalidInput("This item has no counted stock (a service, or unlimited).", code="stock_not_counted")
    fields = _check_item_fields({"stock": stock} if stock is not None else {})
    if restock == 0:
        return item
    return await _change_item(session, actor=actor, store=store, item=item, fields=fields, restock=restock)


async def delete_item(session: AsyncSession, *, actor: Principal, store_id: int, item_id: int) -> bool:
    """Remove an item never redeemed; one on past receipts is withdrawn instead. True when deleted."""
    store = await get_store(session, store_id)
    require_store_manager(actor, store)
    item = await get_item(session, store_id=store.id, item_id=item_id)
    before = snapshot(item)
    used = await repository.item_was_redeemed(session, item.id)
    if used:
        item.is_active = False
    else:
        await session.execute(delete(MonthlyItemUsage).where(MonthlyItemUsage.item_id == item.id))
        await session.delete(item)
    await session.flush()
    await record_audit(session, actor=actor, action="store_item.withdraw" if used else "store_item.delete",
                       entity_type="store_item", entity_id=item_id, community_id=store.community_id, before=before)
    return not used
