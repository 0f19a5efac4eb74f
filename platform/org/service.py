"""The hierarchy: platform admins build it, street admins add communities, organisers add grids."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.org import repository
from servicebank.org.access import supervises, visible_community_ids, workplace_ids
from servicebank.org.models import Community, District, Grid, Street
from servicebank.org.schemas import CommunityIn, CommunityPatch

CODE_SHAPE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")


def _name(raw: str, *, what: str) -> str:
    name = raw.strip()
    if not name or len(name) > 100:
        raise InvalidInput(f"Give the {what} a name of 1-100 characters.", code="invalid_name")
    return name


async def _unique(session: AsyncSession, query, message: str, code: str) -> None:  # noqa: ANN001
    if await session.scalar(query.limit(1)) is not None:
        raise Conflict(message, code=code)


async def create_district(session: AsyncSession, *, actor: Principal, name: str) -> District:
    """A new district (区); platform admins only."""
    actor.require_platform_admin()
    name = _name(name, what="district")
    await _unique(session, select(District.id).where(District.name == name), f"District {name} exists.",
                  "duplicate_name")
    district = District(name=name)
    session.add(district)
    await session.flush()
    await record_audit(session, actor=actor, action="district.create", entity_type="district",
                       entity_id=district.id, after=snapshot(district))
    return district


async def create_street(session: AsyncSession, *, actor: Principal, district_id: int, name: str) -> Street:
    """A new street office (街道) in a district; platform admins only."""
    actor.require_platform_admin()
    if await session.get(District, district_id) is None:
        raise NotFound(f"There is no district {district_id}.", code="district_not_found")
    name = _name(name, what="street")
    await _unique(session, select(Street.id).where(Street.district_id == district_id, Street.name == name),
                  f"Street {name} exists in this district.", "duplicate_name")
    street = Street(district_id=district_id, name=name)
    session.add(street)
    await session.flush()
    await record_audit(session, actor=actor, action="street.create", entity_type="street", entity_id=street.id,
                       after=snapshot(street))
    return street


async def create_community(session: AsyncSession, *, actor: Principal, data: CommunityIn) -> Community:
    """A new community: platform admins anywhere, street admins in their own street."""
    if data.street_id is not None:
        street = await session.get(Street, data.street_id)
        if street is None or street.district_id != data.district_id:
            if not actor.is_platform_admin and data.street_id not in actor.street_ids:
                raise Forbidden("Only administrators create communities.", code="admin_required")
            raise NotFound("There is no such street in this district.", code="street_not_found")
    if not supervises(actor, data.street_id):
        raise Forbidden("Only the platform administrator or the street's administrator creates communities.",
                        code="admin_required")
    if await session.get(District, data.district_id) is None:
        raise NotFound(f"There is no district {data.district_id}.", code="district_not_found")
    code = data.code.strip().upper()
    if not CODE_SHAPE.match(code):
        raise InvalidInput("The community code is 2-16 letters or digits, starting with a letter (e.g. HXL).",
                           code="invalid_community_code")
    await _unique(session, select(Community.id).where(Community.code == code),
                  f"The code {code} is used by another community.", "duplicate_community_code")
    community = Community(district_id=data.district_id, street_id=data.street_id, name=_name(data.name, what="community"),
                          code=code, contact_phone=(data.contact_phone or "").strip() or None)
    session.add(community)
    await session.flush()
    await record_audit(session, actor=actor, action="community.create", entity_type="community",
                       entity_id=community.id, community_id=community.id, after=snapshot(community))
    return community


async def community_for(session: AsyncSession, *, actor: Principal, community_id: int) -> Community:
    """The community if the caller is linked to it; 404 otherwise."""
    community = await session.get(Community, community_id)
    if community is None:
        raise NotFound(f"There is no community {community_id}.", code="community_not_found")
    actor.require_member(community_id)
    return community


async def update_community(session: AsyncSession, *, actor: Principal, community_id: int,
                           data: CommunityPatch) -> Community:
    """Rename or change the contact phone; the community's organisers and admins. The code never changes
    (it is printed on volunteer numbers and certificates)."""
    community = await community_for(session, actor=actor, community_id=community_id)
    actor.require_manager(community_id)
    before = snapshot(community)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "name" in changes:
        community.name = _name(changes["name"], what="community")
    if "contact_phone" in changes:
        community.contact_phone = (changes["contact_phone"] or "").strip()[:32] or None
    await session.flush()
    await record_audit(session, actor=actor, action="community.update", entity_type="community",
                       entity_id=community.id, community_id=community.id, before=before, after=snapshot(community))
    return community


async def visible_communities(session: AsyncSession, *, actor: Principal) -> list[Community]:
    """Every community the caller is linked to (all for platform admins)."""
    ids = visible_community_ids(actor)
    query = select(Community).order_by(Community.id)
    if ids is not None:
        query = query.where(Community.id.in_(ids))
    return list((await session.scalars(query)).all())


async def grids_of(session: AsyncSession, *, actor: Principal, community_id: int) -> list[Grid]:
    await community_for(session, actor=actor, community_id=community_id)
    return list((await session.scalars(select(Grid).where(Grid.community_id == community_id).order_by(Grid.id))).all())


async def create_grid(session: AsyncSession, *, actor: Principal, community_id: int, name: str) -> Grid:
    """A new grid (网格) in the community; its organisers and admins."""
    await community_for(session, actor=actor, community_id=community_id)
    actor.require_manager(community_id)
    name = _name(name, what="grid")
    await _unique(session, select(Grid.id).where(Grid.community_id == community_id, Grid.name == name),
                  f"Grid {name} exists in this community.", "duplicate_name")
    grid = Grid(community_id=community_id, name=name)
    session.add(grid)
    await session.flush()
    await record_audit(session, actor=actor, action="grid.create", entity_type="grid", entity_id=grid.id,
                       community_id=community_id, after=snapshot(grid))
    return grid


async def public_communities(session: AsyncSession) -> list[tuple[Community, str, str | None]]:
    rows = await session.execute(
        select(Community, District.name, Street.name).join(District, District.id == Community.district_id)
        .outerjoin(Street, Street.id == Community.street_id).order_by(District.name, Community.name)
    )
    return [(c, d, s) for c, d, s in rows]


async def all_communities(session: AsyncSession) -> list[Community]:
    """Every community, by name (open to everyone: the landing page and the leaderboard's picker)."""
    return await repository.communities_by_name(session)


async def get_community(session: AsyncSession, community_id: int) -> Community:
    """The community; 404 `community_not_found` when there is none (the caller decides who may see it)."""
    community = await repository.get_community(session, community_id)
    if community is None:
        raise NotFound("No such community.", code="community_not_found")
    return community


async def workplaces(session: AsyncSession, *, actor: Principal) -> list[Community]:
    """The communities whose staff pages the caller may open (managed or with a team they lead), by name."""
    return await repository.communities_by_name(session, workplace_ids(actor))


async def pick_workplace(session: AsyncSession, *, actor: Principal,
                         community_id: int | None) -> tuple[Community, list[Community]]:
    """The community asked for (or the first one the caller works in), with the caller's list to switch."""
    return _pick(await workplaces(session, actor=actor), actor, community_id)


_Choice = TypeVar("_Choice", Community, repository.CommunityName)


def _pick(choices: list[_Choice], actor: Principal, community_id: int | None) -> tuple[_Choice, list[_Choice]]:
    if not choices:
        # A clerk or a volunteer who opens /manage: say whose pages these are (the error page links their own).
        raise Forbidden("This part is for community staff.", code="community_staff_only")
    chosen = next((c for c in choices if c.id == community_id), choices[0])
    actor.require_staff(chosen.id)
    return chosen, choices


async def pick_workplace_name(session: AsyncSession, *, actor: Principal,
                              community_id: int | None) -> tuple[repository.CommunityName, list[repository.CommunityName]]:
    """pick_workplace with plain (id, name) rows, for a page that shows no more of them (the dashboard)."""
    return _pick(await repository.community_names(session, workplace_ids(actor)), actor, community_id)


async def supervised_streets(session: AsyncSession, *, actor: Principal) -> list[Street]:
    """The streets the caller administers (every one for platform admins), by name."""
    return await repository.streets_by_name(session, None if actor.is_platform_admin else actor.street_ids or [])


async def grids_by_name(session: AsyncSession, *, community_id: int) -> list[Grid]:
    """The community's grids by name, as forms offer them (the caller has checked access)."""
    return await repository.grids_by_name(session, community_id)


async def get_grid(session: AsyncSession, grid_id: int) -> Grid | None:
    return await repository.get_grid(session, grid_id)
