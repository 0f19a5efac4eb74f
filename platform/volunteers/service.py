"""Volunteers: register (by an organiser), change, approve, suspend. Flush, never commit.

Self-registration is in registration.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.accounts.passwords import hash_password
from servicebank.accounts.principal import Principal
from servicebank.accounts.service import check_password_strength
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.dialect import dialect_name
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.org.access import guard
from servicebank.org.models import Community, Grid
from servicebank.volunteers import fields, repository
from servicebank.volunteers.access import readable_statement, volunteer_for
from servicebank.volunteers.identity import ID_TYPES, RESIDENT_ID, IdentityVault, validate_id_number
from servicebank.volunteers.models import Team, TeamMember, Volunteer, VolunteerStatus
from servicebank.volunteers.numbers import NUMBER_SHAPE, allocate_numbers
from servicebank.volunteers.schemas import SelfRegistration, VolunteerCreate, VolunteerPatch


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def get_community(session: AsyncSession, community_id: int) -> Community:
    """The community, or 404 community_not_found."""
    community = await session.get(Community, community_id)
    if community is None:
        raise NotFound(f"There is no community with id {community_id}.", code="community_not_found")
    return community


async def check_grid(session: AsyncSession, *, community_id: int, grid_id: int | None) -> None:
    """404 grid_not_found unless the grid (when given) is one of the community's."""
    if grid_id is None:
        return
    grid = await session.get(Grid, grid_id)
    if grid is None or grid.community_id != community_id:
        raise NotFound(f"Grid {grid_id} is not a grid of this community.", code="grid_not_found")


def checked_id_number(id_type: str | None, id_number: str) -> tuple[str, str]:
    """The ID type (居民身份证 unless given) and the validated number; 422 when either is wrong."""
    id_type = id_type or RESIDENT_ID
    if id_type not in ID_TYPES:
        raise InvalidInput(f"Unknown ID type {id_type!r}; use one of {', '.join(ID_TYPES)}.", code="invalid_id_type")
    return id_type, validate_id_number(id_type, id_number)


async def _set_id_number(session: AsyncSession, volunteer: Volunteer, *, vault: IdentityVault,
                         id_type: str | None, id_number: str | None) -> None:
    if not id_number:
        volunteer.id_type = id_type
        volunteer.id_number_encrypted = volunteer.id_number_digest = None
        volunteer.id_number_last4 = volunteer.id_number_masked = None
        return
    id_type, number = checked_id_number(id_type, id_number)
    protected = vault.protect(number)
    if await repository.id_digest_taken(session, community_id=volunteer.community_id, digests=vault.digests(number),
                                        exclude_id=volunteer.id):
        raise Conflict("A volunteer with this ID number is already registered in this community.",
                       code="duplicate_id_number")
    volunteer.id_type = id_type
    volunteer.id_number_encrypted = protected.encrypted
    volunteer.id_number_digest = protected.digest
    volunteer.id_number_last4 = protected.last4
    volunteer.id_number_masked = protected.masked


async def _check_phone(session: AsyncSession, *, community_id: int, phone: str, exclude_id: int | None = None) -> None:
    if await repository.phone_taken(session, community_id=community_id, phone=phone, exclude_id=exclude_id):
        raise Conflict(f"A volunteer with phone {phone} is already registered in this community.",
                       code="duplicate_phone")


async def _add_account(session: AsyncSession, volunteer: Volunteer, password: str) -> User:
    check_password_strength(password)
    if await session.scalar(select(User.id).where(User.phone == volunteer.phone)) is not None:
        raise Conflict(f"The phone {volunteer.phone} already has a login; log in with it instead.",
                       code="phone_has_account")
    user = User(phone=volunteer.phone, display_name=volunteer.real_name, password_hash=hash_password(password),
                volunteer_id=volunteer.id)
    session.add(user)
    await session.flush()
    return user


async def new_volunteer(session: AsyncSession, *, vault: IdentityVault, community: Community,
                        data: VolunteerCreate | SelfRegistration, status: str, number: str | None) -> Volunteer:
    """A volunteer row of the community, checked (grid, phone, number, ID number) and flushed."""
    phone = fields.clean_phone(data.phone)
    await check_grid(session, community_id=community.id, grid_id=data.grid_id)
    await _check_phone(session, community_id=community.id, phone=phone)
    if number is not None:
        number = number.strip()
        if not NUMBER_SHAPE.match(number):
            raise InvalidInput("A volunteer number is 2-32 letters, digits, '-' or '_'.", code="invalid_volunteer_number")
        if await repository.number_taken(session, number):
            raise Conflict(f"The volunteer number {number} is already in use.", code="duplicate_volunteer_number")
    else:
        number = (await allocate_numbers(session, community=community, count=1))[0]
    volunteer = Volunteer(community_id=community.id, grid_id=data.grid_id, number=number,
                          real_name=fields.clean_name(data.real_name), phone=phone,
                          skill_tags=fields.clean_skill_tags(data.skill_tags), status=status,
                          public_consent=data.public_consent, created_at=_now())
    await _set_id_number(session, volunteer, vault=vault, id_type=data.id_type, id_number=data.id_number)
    session.add(volunteer)
    await session.flush()
    return volunteer


async def create_volunteer(session: AsyncSession, *, actor: Principal, vault: IdentityVault,
                           data: VolunteerCreate) -> Volunteer:
    """An organiser registers a volunteer (active at once), optionally with teams and a login."""
    guard(actor.require_manager, data.community_id, code="community_not_found", what="community")
    community = await get_community(session, data.community_id)
    volunteer = await new_volunteer(session, vault=vault, community=community, data=data,
                                     status=VolunteerStatus.ACTIVE, number=data.number)
    volunteer.gender = fields.clean_gender(data.gender)
    volunteer.birth_year = fields.clean_birth_year(data.birth_year, this_year=_now().year)
    volunteer.party_class = fields.clean_short_text(data.party_class, field="party_class")
    volunteer.political_status = fields.clean_short_text(data.political_status, field="political_status")
    volunteer.paid_service = data.paid_service
    volunteer.approved_at = _now()
    await set_teams(session, volunteer=volunteer, team_ids=data.team_ids)
    if data.initial_password:
        await _add_account(session, volunteer, data.initial_password)
    await session.flush()
    await record_audit(session, actor=actor, action="volunteer.create", entity_type="volunteer",
                       entity_id=volunteer.id, community_id=community.id,
                       after=snapshot(volunteer) | {"team_ids": sorted(set(data.team_ids))})
    await record_event(session, "volunteer.registered", {"volunteer_id": volunteer.id, "community_id": community.id})
    return volunteer


async def set_teams(session: AsyncSession, *, volunteer: Volunteer, team_ids: list[int]) -> None:
    """Add the volunteer to these teams of their community (unknown or foreign teams are refused)."""
    wanted = sorted(set(team_ids))
    if not wanted:
        return
    found = (await session.scalars(select(Team.id).where(Team.id.in_(wanted),
                                                         Team.community_id == volunteer.community_id))).all()
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise NotFound(f"No team {missing[0]} in this community.", code="team_not_found")
    existing = set((await repository.team_ids_of(session, [volunteer.id])).get(volunteer.id, []))
    session.add_all(TeamMember(team_id=t, volunteer_id=volunteer.id, joined_at=_now()) for t in wanted
                    if t not in existing)
    await session.flush()


async def update_volunteer(session: AsyncSession, *, actor: Principal, vault: IdentityVault, volunteer_id: int,
                           data: VolunteerPatch) -> Volunteer:
    """Change a volunteer's details; the ID number is re-validated and re-encrypted when given."""
    volunteer = await volunteer_for(session, actor=actor, volunteer_id=volunteer_id, manage=True)
    before = snapshot(volunteer)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "real_name" in changes:
        volunteer.real_name = fields.clean_name(changes["real_name"])
    if "phone" in changes:
        phone = fields.clean_phone(changes["phone"])
        await _check_phone(session, community_id=volunteer.community_id, phone=phone, exclude_id=volunteer.id)
        volunteer.phone = phone
    if "grid_id" in changes:
        await check_grid(session, community_id=volunteer.community_id, grid_id=changes["grid_id"])
        volunteer.grid_id = changes["grid_id"]
    if "id_number" in changes or "id_type" in changes:
        if "id_number" not in changes and volunteer.id_number_encrypted:
            raise InvalidInput("Give the ID number again when changing its type.", code="id_number_required")
        await _set_id_number(session, volunteer, vault=vault, id_type=changes.get("id_type", volunteer.id_type),
                             id_number=changes.get("id_number"))
    if "gender" in changes:
        volunteer.gender = fields.clean_gender(changes["gender"])
    if "birth_year" in changes:
        volunteer.birth_year = fields.clean_birth_year(changes["birth_year"], this_year=_now().year)
    for name in ("party_class", "political_status"):
        if name in changes:
            setattr(volunteer, name, fields.clean_short_text(changes[name], field=name))
    if "skill_tags" in changes:
        volunteer.skill_tags = fields.clean_skill_tags(changes["skill_tags"])
    for name in ("paid_service", "public_consent"):
        if name in changes:
            setattr(volunteer, name, bool(changes[name]))
    await session.flush()
    after = snapshot(volunteer)
    if after != before:
        await record_audit(session, actor=actor, action="volunteer.update", entity_type="volunteer",
                           entity_id=volunteer.id, community_id=volunteer.community_id, before=before, after=after)
    return volunteer


_TRANSITIONS = {
    "approve": ({VolunteerStatus.PENDING}, VolunteerStatus.ACTIVE),
    "suspend": ({VolunteerStatus.ACTIVE, VolunteerStatus.PENDING}, VolunteerStatus.SUSPENDED),
    "reactivate": ({VolunteerStatus.SUSPENDED, VolunteerStatus.LEFT}, VolunteerStatus.ACTIVE),
    "leave": ({VolunteerStatus.ACTIVE, VolunteerStatus.SUSPENDED, VolunteerStatus.PENDING}, VolunteerStatus.LEFT),
}


async def change_status(session: AsyncSession, *, actor: Principal, volunteer_id: int, action: str,
                        reason: str | None = None) -> Volunteer:
    """approve / suspend / reactivate / leave; refuses transitions that make no sense (409)."""
    volunteer = await volunteer_for(session, actor=actor, volunteer_id=volunteer_id, manage=True)
    allowed_from, target = _TRANSITIONS[action]
    if volunteer.status not in allowed_from:
        raise Conflict(f"Cannot {action} a volunteer whose status is {volunteer.status}.",
                       code="invalid_status_change", current_status=volunteer.status)
    if action == "suspend" and not (reason or "").strip():
        raise InvalidInput("Say why the volunteer is suspended; they will be told.", code="reason_required")
    before = snapshot(volunteer)
    volunteer.status = target
    volunteer.status_reason = (reason or "").strip()[:500] or None
    if action == "approve":
        volunteer.approved_at = _now()
    await session.flush()
    await record_audit(session, actor=actor, action=f"volunteer.{action}", entity_type="volunteer",
                       entity_id=volunteer.id, community_id=volunteer.community_id, before=before,
                       after=snapshot(volunteer), reason=volunteer.status_reason)
    # No event: nothing consumes a status change (the audit entry records it; the volunteer sees the reason).
    return volunteer


async def list_volunteers(session: AsyncSession, *, actor: Principal, community_id: int, limit: int, offset: int,
                          **filters: Any) -> tuple[list[Volunteer], int]:
    """A page of the community's volunteers the caller may read (volunteers/access.py), with how many match."""
    query = readable_statement(actor, community_id=community_id, dialect=dialect_name(session), **filters)
    return await repository.page(session, query, limit=limit, offset=offset)


async def get_volunteer(session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    """The volunteer, whoever asks: for the caller's own record or one whose community the caller checked."""
    return await repository.get_volunteer(session, volunteer_id)


async def team_ids_of(session: AsyncSession, volunteer_ids: list[int]) -> dict[int, list[int]]:
    """volunteer id -> the ids of the teams they belong to."""
    return await repository.team_ids_of(session, volunteer_ids)


async def with_logins(session: AsyncSession, volunteer_ids: list[int]) -> set[int]:
    """Which of these volunteers have a login."""
    return await repository.volunteers_with_accounts(session, volunteer_ids)
