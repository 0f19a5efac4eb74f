"""A store's clerks: the organiser assigns an existing login or creates a clerk account (via accounts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import staff
from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.accounts.principal import Principal
from servicebank.accounts.schemas import GrantCreate, StaffCreate
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.stores.access import get_store, require_store_manager
from servicebank.stores.schemas import ClerkAdd, ClerkOut


async def list_clerks(session: AsyncSession, *, actor: Principal, store_id: int) -> list[ClerkOut]:
    """The logins holding the clerk role at this store."""
    store = await get_store(session, store_id)
    require_store_manager(actor, store)
    rows = await session.execute(select(RoleGrant.id, User).join(User, User.id == RoleGrant.user_id).where(
        RoleGrant.role == Role.STORE_CLERK, RoleGrant.store_id == store.id).order_by(RoleGrant.id))
    return [ClerkOut(user_id=user.id, grant_id=grant_id, display_name=user.display_name, username=user.username,
                     phone=user.phone) for grant_id, user in rows.all()]


async def add_clerk(session: AsyncSession, *, actor: Principal, store_id: int, data: ClerkAdd) -> ClerkOut:
    """Make an existing user a clerk here, or create a new clerk login (the accounts domain audits both)."""
    store = await get_store(session, store_id)
    require_store_manager(actor, store)
    if data.user_id is not None:
        if data.password or data.display_name or data.username or data.phone:
            raise InvalidInput("Give either user_id of an existing login, or the details of a new one.",
                               code="invalid_clerk")
        grant = await staff.add_grant(session, actor=actor, user_id=data.user_id, grant=GrantCreate(
            role=Role.STORE_CLERK, community_id=store.community_id, store_id=store.id))
        user = await session.get(User, grant.user_id)
        assert user is not None
    else:
        if not data.display_name or not data.password:
            raise InvalidInput("A new clerk login needs a display name, a password and a username or phone.",
                               code="invalid_clerk")
        user = await staff.create_staff(session, actor=actor, data=StaffCreate(
            display_name=data.display_name, password=data.password, role=Role.STORE_CLERK, username=data.username,
            phone=data.phone, community_id=store.community_id, store_id=store.id))
        grant_id = await session.scalar(select(RoleGrant.id).where(
            RoleGrant.user_id == user.id, RoleGrant.role == Role.STORE_CLERK, RoleGrant.store_id == store.id))
        found = await session.get(RoleGrant, grant_id)
        assert found is not None
        grant = found
    return ClerkOut(user_id=user.id, grant_id=grant.id, display_name=user.display_name, username=user.username,
                    phone=user.phone)


async def remove_clerk(session: AsyncSession, *, actor: Principal, store_id: int, user_id: int) -> None:
    """Take the clerk role at this store away from a user (their login stays)."""
    store = await get_store(session, store_id)
    require_store_manager(actor, store)
    grant_id = await session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user_id, RoleGrant.role == Role.STORE_CLERK, RoleGrant.store_id == store.id))
    if grant_id is None:
        raise NotFound("That user is not a clerk of this store.", code="clerk_not_found")
    await staff.revoke_grant(session, actor=actor, grant_id=grant_id)
