"""The accounts domain's queries: logins, role grants and login waits (sessions: sessions.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import LoginThrottle, Role, RoleGrant, User


async def user_by_login(session: AsyncSession, login: str) -> User | None:
    """The user with this username or phone number."""
    return await session.scalar(select(User).where(or_(User.username == login, User.phone == login)))


async def login_taken(session: AsyncSession, *, username: str | None, phone: str | None) -> bool:
    """Whether a login already uses this username or this phone."""
    logins = [*([User.username == username] if username else []), *([User.phone == phone] if phone else [])]
    return await session.scalar(select(User.id).where(or_(*logins))) is not None


def _same(column, value):  # noqa: ANN001, ANN202
    return column.is_(None) if value is None else column == value


async def grant_exists(session: AsyncSession, *, user_id: int, grant: RoleGrant) -> bool:
    """Whether the user already holds this role in this scope."""
    found = await session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user_id, RoleGrant.role == grant.role, _same(RoleGrant.street_id, grant.street_id),
        _same(RoleGrant.community_id, grant.community_id), _same(RoleGrant.team_id, grant.team_id),
        _same(RoleGrant.store_id, grant.store_id)))
    return found is not None


async def users_with_grants_in(session: AsyncSession, community_id: int) -> list[User]:
    """Users holding a role in the community, by id."""
    ids = select(RoleGrant.user_id).where(RoleGrant.community_id == community_id)
    return list((await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))).all())


async def grants_of_users(session: AsyncSession, user_ids: list[int]) -> list[RoleGrant]:
    """Every grant of these users, by id."""
    if not user_ids:
        return []
    return list((await session.scalars(select(RoleGrant).where(RoleGrant.user_id.in_(user_ids))
                                       .order_by(RoleGrant.id))).all())


async def staff_grants(session: AsyncSession, user_id: int) -> list[RoleGrant]:
    """The user's grants other than the volunteer role, by id."""
    return list((await session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == user_id, RoleGrant.role != Role.VOLUNTEER).order_by(RoleGrant.id))).all())


async def clear_login_wait(session: AsyncSession, key: str) -> None:
    """Forget the failed logins counted under this key."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


async def login_waits_by_key(session: AsyncSession, keys: list[str]) -> list[tuple[str, dt.datetime]]:
    """(key, blocked_until) of these keys that have a wait set."""
    rows = await session.execute(select(LoginThrottle.key, LoginThrottle.blocked_until)
                                 .where(LoginThrottle.key.in_(keys), LoginThrottle.blocked_until.is_not(None)))
    return [(key, until) for key, until in rows.all()]


async def organisers_of(session: AsyncSession, community_ids: list[int]) -> list[tuple[int, User]]:
    """(community id, user) for the organisers of these communities, by user id."""
    rows = await session.execute(select(RoleGrant.community_id, User).join(User, User.id == RoleGrant.user_id)
                                 .where(RoleGrant.role == Role.ORGANISER, RoleGrant.community_id.in_(community_ids))
                                 .order_by(User.id))
    return [(community_id, user) for community_id, user in rows.all()]
