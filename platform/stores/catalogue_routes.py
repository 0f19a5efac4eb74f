"""HTTP API for registering stores, their clerks and catalogues."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.openapi.spec import Example
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.stores import service
from servicebank.stores.models import Store, StoreItem
from servicebank.stores.schemas import ClerkAdd, ClerkOut, ItemIn, ItemOut, ItemPatch, StoreIn, StoreOut, StorePatch


def store_out(s: Store) -> StoreOut:
    return StoreOut(id=s.id, community_id=s.community_id, name=s.name, kind=s.kind, address=s.address,
                    contact_phone=s.contact_phone, opening_hours=s.opening_hours, description=s.description,
                    refund_days=s.refund_days, min_service_minutes=s.min_service_minutes, is_active=s.is_active)


def item_out(i: StoreItem) -> ItemOut:
    return ItemOut(id=i.id, store_id=i.store_id, name=i.name, kind=i.kind, unit=i.unit, description=i.description,
                   price_points=i.price_points, stock=i.stock, monthly_limit=i.monthly_limit,
                   min_service_minutes=i.min_service_minutes, sort_order=i.sort_order, is_active=i.is_active)


_STORE_EXAMPLE = Example(value={"community_id": 1, "name": "和谐爱心超市", "kind": "charity_supermarket",
                                "address": "和谐社区服务中心一楼", "opening_hours": "周二、周五 9:00-11:30",
                                "refund_days": 7, "min_service_minutes": 1200})
_ITEM_EXAMPLE = Example(value={"name": "大米 5kg", "price_points": 120, "kind": "goods", "unit": "袋", "stock": 40,
                               "monthly_limit": 1})


class StoreController(Controller):
    path = "/api/stores"
    tags = ["stores"]

    @get("/")
    async def list_stores(self, db_session: AsyncSession, principal: Principal,
                          community_id: int | None = None) -> list[StoreOut]:
        """Stores of a community (default: your own community as a volunteer, or the stores you clerk at).
        Closed stores are listed for organisers and their clerks only."""
        return [store_out(s) for s in await service.stores_for(db_session, actor=principal,
                                                                  community_id=community_id)]

    @post("/", status_code=201)
    async def create_store(self, db_session: AsyncSession, principal: Principal,
                           data: Annotated[StoreIn, Body(examples=[_STORE_EXAMPLE])]) -> StoreOut:
        """Register a store (爱心超市 `charity_supermarket`, `partner_shop`, `service_provider`). Organisers.
        Errors: 409 `duplicate_store_name`, 422 `invalid_store_kind` / `invalid_refund_days` /
        `invalid_min_service_minutes` / `invalid_name`."""
        return store_out(await service.create_store(db_session, actor=principal, data=data))

    @get("/{store_id:int}")
    async def get_store(self, db_session: AsyncSession, principal: Principal, store_id: int) -> StoreOut:
        """One store of your community; 404 `store_not_found` otherwise."""
        return store_out(await service.store_for(db_session, actor=principal, store_id=store_id))

    @patch("/{store_id:int}")
    async def update_store(self, db_session: AsyncSession, principal: Principal, store_id: int,
                           data: Annotated[StorePatch, Body(examples=[Example(value={"refund_days": 3})])]
                           ) -> StoreOut:
        """Change a store's details or settings (refund period, hours threshold), or close it (is_active false)."""
        return store_out(await service.update_store(db_session, actor=principal, store_id=store_id, data=data))

    @get("/{store_id:int}/clerks")
    async def list_clerks(self, db_session: AsyncSession, principal: Principal, store_id: int) -> list[ClerkOut]:
        """The store's clerks. Organisers."""
        return await service.list_clerks(db_session, actor=principal, store_id=store_id)

    @post("/{store_id:int}/clerks", status_code=201)
    async def add_clerk(self, db_session: AsyncSession, principal: Principal, store_id: int,
                        data: Annotated[ClerkAdd, Body(examples=[
                            Example(summary="existing login", value={"user_id": 12}),
                            Example(summary="new login", value={"display_name": "店员小王", "username": "wang",
                                                                "password": "a-long-password"})])]) -> ClerkOut:
        """Assign an existing login as clerk, or create a clerk login. Organisers. Errors: 409 `grant_exists` /
        `login_taken`, 404 `user_not_found`, 422 `invalid_clerk` and the password rules."""
        return await service.add_clerk(db_session, actor=principal, store_id=store_id, data=data)

    @delete("/{store_id:int}/clerks/{user_id:int}", status_code=204)
    async def remove_clerk(self, db_session: AsyncSession, principal: Principal, store_id: int,
                           user_id: int) -> None:
        """Take the clerk role at this store away (the login stays). 404 `clerk_not_found`."""
        await service.remove_clerk(db_session, actor=principal, store_id=store_id, user_id=user_id)

    @get("/{store_id:int}/items")
    async def list_items(self, db_session: AsyncSession, principal: Principal, store_id: int,
                         include_inactive: bool = False) -> list[ItemOut]:
        """The catalogue: goods and services with price in points, stock (null: unlimited) and limits.
        Staff may add `include_inactive=true` to see withdrawn items."""
        return [item_out(i) for i in await service.items_for(db_session, actor=principal, store_id=store_id,
                                                                include_inactive=include_inactive)]

    @post("/{store_id:int}/items", status_code=201)
    async def create_item(self, db_session: AsyncSession, principal: Principal, store_id: int,
                          data: Annotated[ItemIn, Body(examples=[_ITEM_EXAMPLE])]) -> ItemOut:
        """Add goods or a service. Organisers. Errors: 409 `duplicate_item_name`, 422 `invalid_price` /
        `invalid_stock` / `invalid_monthly_limit` / `invalid_item_kind`."""
        return item_out(await service.create_item(db_session, actor=principal, store_id=store_id, data=data))

    @patch("/{store_id:int}/items/{item_id:int}")
    async def update_item(self, db_session: AsyncSession, principal: Principal, store_id: int, item_id: int,
                          data: Annotated[ItemPatch, Body(examples=[Example(value={"restock": 20})])]) -> ItemOut:
        """Change an item; `stock` sets it (null: unlimited), `restock` adds to it atomically (409
        `invalid_restock` below zero); `is_active: false` withdraws it."""
        return item_out(await service.update_item(db_session, actor=principal, store_id=store_id, item_id=item_id,
                                                    data=data))

    @delete("/{store_id:int}/items/{item_id:int}", status_code=200)
    async def delete_item(self, db_session: AsyncSession, principal: Principal, store_id: int,
                          item_id: int) -> Response[dict[str, bool]]:
        """Delete an item never redeemed; an item on past receipts is withdrawn instead (`deleted: false`)."""
        deleted = await service.delete_item(db_session, actor=principal, store_id=store_id, item_id=item_id)
        return Response({"deleted": deleted})
