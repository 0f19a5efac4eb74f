"""The administrators' map of the organisation: the streets and districts within their reach, and the
communities of each, for their overview and the form that creates a community."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.org.models import Community, District, Street


@dataclasses.dataclass
class StreetGroup:
    """A street office (or, for platform admins, the communities of a district run without one)."""

    district: District
    street: Street | None
    communities: list[Community]


def administers(actor: Principal) -> bool:
    """Platform admins and street admins: the people the administrators' pages are for."""
    return actor.is_platform_admin or bool(actor.street_ids)


async def streets_in_reach(session: AsyncSession, *, actor: Principal) -> list[tuple[Street, District]]:
    """The streets the caller administers (every street for platform admins), by district and name."""
    query = (select(Street, District).join(District, District.id == Street.district_id)
             .order_by(District.name, Street.name))
    if not actor.is_platform_admin:
        query = query.where(Street.id.in_(sorted(actor.street_ids) or [0]))
    return [(street, district) for street, district in (await session.execute(query)).all()]


async def districts_in_reach(session: AsyncSession, *, actor: Principal) -> list[District]:
    """Districts a community may be created in without a street: every district, for platform admins only."""
    if not actor.is_platform_admin:
        return []
    return list((await session.scalars(select(District).order_by(District.name))).all())


async def street_groups(session: AsyncSession, *, actor: Principal) -> list[StreetGroup]:
    """The caller's streets with their communities; for platform admins also each district's communities
    without a street. Empty for anyone who administers no street."""
    if not administers(actor):
        return []
    streets = await streets_in_reach(session, actor=actor)
    groups = {street.id: StreetGroup(district=district, street=street, communities=[])
              for street, district in streets}
    query = select(Community).order_by(Community.name)
    if not actor.is_platform_admin:
        query = query.where(Community.street_id.in_(list(groups) or [0]))
    loose: dict[int, StreetGroup] = {}
    for community in (await session.scalars(query)).all():
        if community.street_id in groups:
            groups[community.street_id].communities.append(community)
        else:
            group = loose.get(community.district_id)
            if group is None:
                district = await session.get(District, community.district_id)
                assert district is not None
                group = loose[community.district_id] = StreetGroup(district=district, street=None, communities=[])
            group.communities.append(community)
    return [*groups.values(), *loose.values()]


async def street(session: AsyncSession, street_id: int) -> Street | None:
    """A street by id (its name is public, like a community's)."""
    return await session.get(Street, street_id)
