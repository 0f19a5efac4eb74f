"""Looking after staff logins from above: a new first password, disabling and enabling, lifting a login wait.

Whoever may give every role a login holds may look after that login (the same rule as taking a role away):
platform admins for everyone, street admins for the organisers, leaders and clerks of their street's
communities, organisers for their own community's leaders and clerks. Nobody does it to their own login here
(their own password is changed with the current one, POST /api/auth/password).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import repository
from servicebank.accounts.models import Role, User
from servicebank.accounts.passwords import hash_password
from servicebank.accounts.principal import Principal
from servicebank.accounts.schemas import GrantCreate
from servicebank.accounts.service import check_password_strength
from servicebank.accounts.sessions import revoke_all_sessions
from servicebank.accounts.staff import normalise_grant
from servicebank.audit.service import record_audit
from servicebank.kernel.errors import Conflict, NotFound


def _throttle_key(user_id: int) -> str:
    # The account key the login limit counts a known user's failures under (accounts/ratelimit.py).
    return f"user:{user_id}"


async def _cared_for(session: AsyncSession, actor: Principal, user_id: int) -> tuple[User, int | None]:
    """The staff login and the community its audit entries belong to, if the actor may look after it."""
    user = await session.get(User, user_id)
    grants = await repository.staff_grants(session, user_id)
    if user is None or not grants:
        raise NotFound(f"There is no staff login {user_id}.", code="user_not_found")
    if user.id == actor.user_id:
        raise Conflict("Change your own password on your own page, not here.", code="cannot_change_self")
    for grant in grants:
        try:
            await normalise_grant(session, actor=actor, grant=GrantCreate(
                role=grant.role, street_id=grant.street_id, community_id=grant.community_id, team_id=grant.team_id,
                store_id=grant.store_id if grant.store_id is not None else (
                    0 if grant.role == Role.STORE_CLERK else None)), revoking=True)
        except NotFound as exc:
            raise NotFound(f"There is no staff login {user_id}.", code="user_not_found") from exc
    return user, next((g.community_id for g in grants if g.community_id is not None), None)


async def reset_password(session: AsyncSession, *, actor: Principal, user_id: int, new_password: str) -> User:
    """A new first password told to the person; their sessions end and any login wait is lifted."""
    user, community_id = await _cared_for(session, actor, user_id)
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = dt.datetime.now(dt.UTC)
    await revoke_all_sessions(session, user_id=user.id)
    await repository.clear_login_wait(session, _throttle_key(user.id))
    await session.flush()
    await record_audit(session, actor=actor, action="user.password_reset", entity_type="user", entity_id=user.id,
                       community_id=community_id, after={"password_changed_at": user.password_changed_at})
    return user


async def set_active(session: AsyncSession, *, actor: Principal, user_id: int, active: bool,
                     reason: str | None = None) -> User:
    """Disable a login (its sessions end at once, logging in is refused) or enable it again."""
    user, community_id = await _cared_for(session, actor, user_id)
    if user.is_active == active:
        return user
    before = {"is_active": user.is_active}
    user.is_active = active
    if not active:
        await revoke_all_sessions(session, user_id=user.id)
    await session.flush()
    await record_audit(session, actor=actor, action="user.enable" if active else "user.disable", entity_type="user",
                       entity_id=user.id, community_id=community_id, before=before, after={"is_active": active},
                       reason=(reason or "").strip()[:500] or None)
    return user


async def lift_login_wait(session: AsyncSession, *, actor: Principal, user_id: int) -> User:
    """Let the person try again at once after too many wrong passwords (the count starts from zero)."""
    user, community_id = await _cared_for(session, actor, user_id)
    await repository.clear_login_wait(session, _throttle_key(user.id))
    await session.flush()
    await record_audit(session, actor=actor, action="user.unlock", entity_type="user", entity_id=user.id,
                       community_id=community_id)
    return user


async def login_waits(session: AsyncSession, user_ids: list[int], *,
                      now: dt.datetime | None = None) -> dict[int, dt.datetime]:
    """Until when each of these logins must wait before the next try (only those waiting now)."""
    if not user_ids:
        return {}
    now = now or dt.datetime.now(dt.UTC)
    keys = {_throttle_key(uid): uid for uid in user_ids}
    waits = {}
    for key, until in await repository.login_waits_by_key(session, list(keys)):
        until = until if until.tzinfo is not None else until.replace(tzinfo=dt.UTC)
        if until > now:
            waits[keys[key]] = until
    return waits


async def organisers_by_community(session: AsyncSession, community_ids: list[int]) -> dict[int, list[User]]:
    """The organisers of each community (active or not), for the administrators' overview."""
    found: dict[int, list[User]] = {cid: [] for cid in community_ids}
    if community_ids:
        for community_id, user in await repository.organisers_of(session, community_ids):
            found[community_id].append(user)
    return found
