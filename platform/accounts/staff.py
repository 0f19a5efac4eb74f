"""Staff logins and role grants: who may hand out which role, in which scope."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.accounts.passwords import hash_password
from servicebank.accounts.principal import Principal
from servicebank.accounts.schemas import GrantCreate, StaffCreate
from servicebank.accounts.service import check_password_strength
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.org.access import guard, supervises
from servicebank.org.models import Community, Street
from servicebank.stores.models import Store
from servicebank.volunteers.models import Team

GRANTABLE = (Role.PLATFORM_ADMIN, Role.STREET_ADMIN, Role.ORGANISER, Role.TEAM_LEADER, Role.STORE_CLERK)


async def _community(session: AsyncSession, community_id: int | None) -> Community:
    community = await session.get(Community, community_id) if community_id else None
    if community is None:
        raise NotFound("Give the id of an existing community.", code="community_not_found")
    return community


async def normalise_grant(session: AsyncSession, *, actor: Principal, grant: GrantCreate,
                          revoking: bool = False) -> RoleGrant:
    """A RoleGrant with exactly the scope its role needs, if the actor may hand it out."""
    role = grant.role
    if role not in GRANTABLE:
        raise InvalidInput(f"Unknown role {role!r}; use one of {', '.join(GRANTABLE)}.", code="invalid_role")
    if role == Role.PLATFORM_ADMIN:
        actor.require_platform_admin()
        return RoleGrant(role=role)
    if role == Role.STREET_ADMIN:
        actor.require_platform_admin()
        if grant.street_id is None or await session.get(Street, grant.street_id) is None:
            raise NotFound("Give the id of an existing street.", code="street_not_found")
        return RoleGrant(role=role, street_id=grant.street_id)
    if role == Role.TEAM_LEADER:
        team = await session.get(Team, grant.team_id) if grant.team_id else None
        if team is None:
            raise NotFound("Give the id of an existing team.", code="team_not_found")
        guard(actor.require_manager, team.community_id, code="team_not_found", what="team")
        return RoleGrant(role=role, team_id=team.id, community_id=team.community_id)
    community = await _community(session, grant.community_id)
    if role == Role.ORGANISER:
        # Organisers are appointed from above: the street office or the platform.
        if not supervises(actor, community.street_id):
            guard(actor.require_manager, community.id, code="community_not_found", what="community")
            raise Forbidden("Only the street or platform administrator appoints organisers.", code="admin_required")
        return RoleGrant(role=role, community_id=community.id)
    # Store clerk: the community's organisers staff their own charity store.
    guard(actor.require_manager, community.id, code="community_not_found", what="community")
    if grant.store_id is None:
        raise InvalidInput("A store clerk needs the id of their store.", code="store_required")
    store = await session.get(Store, grant.store_id)
    if revoking and store is None:
        # A grant whose store is gone can still be taken away.
        return RoleGrant(role=role, community_id=community.id, store_id=grant.store_id)
    if store is None or store.community_id != community.id:
        # A clerk may only be given a store of the same community (no cross-community till access).
        raise NotFound("Give the id of a store of this community.", code="store_not_found")
    return RoleGrant(role=role, community_id=community.id, store_id=store.id)


async def create_staff(session: AsyncSession, *, actor: Principal, data: StaffCreate) -> User:
    """A new login holding one role; the first password is told to the person, who changes it."""
    grant = await normalise_grant(session, actor=actor, grant=GrantCreate(
        role=data.role, street_id=data.street_id, community_id=data.community_id, store_id=data.store_id))
    name = data.display_name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("Give a display name of 1-64 characters.", code="invalid_display_name")
    username = (data.username or "").strip() or None
    phone = (data.phone or "").strip() or None
    if not username and not phone:
        raise InvalidInput("Give a username or a phone number to log in with.", code="login_required")
    check_password_strength(data.password)
    logins = [*([User.username == username] if username else []), *([User.phone == phone] if phone else [])]
    taken = await session.scalar(select(User.id).where(or_(*logins)))
    if taken is not None:
        raise Conflict("That username or phone already has a login.", code="login_taken")
    user = User(username=username, phone=phone, display_name=name, password_hash=hash_password(data.password))
    session.add(user)
    await session.flush()
    grant.user_id = user.id
    session.add(grant)
    await session.flush()
    await record_audit(session, actor=actor, action="user.create", entity_type="user", entity_id=user.id,
                       community_id=grant.community_id, after=snapshot(user) | {"grant": snapshot(grant)})
    return user


def _same(column, value):  # noqa: ANN001, ANN202
    return column.is_(None) if value is None else column == value


async def add_grant(session: AsyncSession, *, actor: Principal, user_id: int, grant: GrantCreate) -> RoleGrant:
    """Give an existing user another role."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.", code="user_not_found")
    row = await normalise_grant(session, actor=actor, grant=grant)
    duplicate = await session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user.id, RoleGrant.role == row.role, _same(RoleGrant.street_id, row.street_id),
        _same(RoleGrant.community_id, row.community_id), _same(RoleGrant.team_id, row.team_id),
        _same(RoleGrant.store_id, row.store_id)))
    if duplicate is not None:
        raise Conflict("The user already holds this role here.", code="grant_exists")
    row.user_id = user.id
    session.add(row)
    await session.flush()
    await record_audit(session, actor=actor, action="grant.create", entity_type="role_grant", entity_id=row.id,
                       community_id=row.community_id, after=snapshot(row))
    return row


async def revoke_grant(session: AsyncSession, *, actor: Principal, grant_id: int) -> None:
    """Take a role away; the same people who may give it may take it."""
    row = await session.get(RoleGrant, grant_id)
    if row is None:
        raise NotFound(f"There is no role grant {grant_id}.", code="grant_not_found")
    if row.role == Role.VOLUNTEER:
        raise InvalidInput("Volunteer status is changed on the volunteer, not here.", code="invalid_role")
    await normalise_grant(session, actor=actor, grant=GrantCreate(
        role=row.role, street_id=row.street_id, community_id=row.community_id, team_id=row.team_id,
        store_id=row.store_id if row.store_id is not None else (0 if row.role == Role.STORE_CLERK else None)),
        revoking=True)
    if row.role == Role.PLATFORM_ADMIN and row.user_id == actor.user_id:
        raise Conflict("You cannot remove your own platform administrator role.", code="cannot_revoke_self")
    before = snapshot(row)
    await session.delete(row)
    await session.flush()
    await record_audit(session, actor=actor, action="grant.revoke", entity_type="role_grant", entity_id=grant_id,
                       community_id=before.get("community_id"), before=before)


async def staff_of_community(session: AsyncSession, *, actor: Principal, community_id: int) -> list[User]:
    """Users holding a role in the community (organisers, team leaders, clerks)."""
    guard(actor.require_manager, community_id, code="community_not_found", what="community")
    ids = select(RoleGrant.user_id).where(RoleGrant.community_id == community_id)
    return list((await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))).all())


async def grants_by_user(session: AsyncSession, user_ids: list[int]) -> dict[int, list[RoleGrant]]:
    found: dict[int, list[RoleGrant]] = {uid: [] for uid in user_ids}
    if user_ids:
        for row in (await session.scalars(select(RoleGrant).where(RoleGrant.user_id.in_(user_ids))
                                          .order_by(RoleGrant.id))).all():
            found[row.user_id].append(row)
    return found
