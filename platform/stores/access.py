"""Who may see a store, manage it, or work its till (404 for outsiders, 403 for the wrong role)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import Forbidden, NotFound
from servicebank.org.access import guard
from servicebank.stores import repository
from servicebank.stores.models import Store


async def get_store(session: AsyncSession, store_id: int) -> Store:
    """The store, or 404 `store_not_found`."""
    store = await session.get(Store, store_id)
    if store is None:
        raise NotFound("No such store.", code="store_not_found")
    return store


def require_store_manager(principal: Principal, store: Store) -> None:
    """The community's organisers and admins: registration, catalogue, clerks."""
    if store.id in principal.clerk_store_ids and not principal.manages(store.community_id):
        raise Forbidden("Only the community's organisers can do this.", code="organiser_required")
    guard(principal.require_manager, store.community_id, code="store_not_found", what="store")


def works_till(principal: Principal, store: Store) -> bool:
    return store.id in principal.clerk_store_ids or principal.manages(store.community_id)


def require_till(principal: Principal, store: Store) -> None:
    """The store's own clerks, or the community's organisers (they may run the counter themselves)."""
    if works_till(principal, store):
        return
    if principal.clerk_store_ids or principal.belongs_to(store.community_id):
        raise Forbidden("Only this store's clerks can do this; you are not a clerk of this store.",
                        code="not_store_clerk")
    raise NotFound("No such store.", code="store_not_found")


def require_viewer(principal: Principal, store: Store) -> None:
    """Anyone linked to the store's community, and the store's clerks."""
    if works_till(principal, store) or principal.belongs_to(store.community_id):
        return
    raise NotFound("No such store.", code="store_not_found")


async def till_stores(session: AsyncSession, principal: Principal) -> list[Store]:
    """The stores whose till the caller works as a clerk."""
    return await repository.stores_by_ids(session, sorted(principal.clerk_store_ids))
