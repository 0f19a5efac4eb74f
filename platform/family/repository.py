"""Queries for family links: the open link of a pair, a volunteer's links, a community's, the lookup by card."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from servicebank.family.models import FamilyLink, FamilyLinkStatus
from servicebank.kernel.db import among
from servicebank.volunteers.models import Volunteer, VolunteerStatus


def pair_key(volunteer_a: int, volunteer_b: int) -> str:
    """The same key whichever of the two asked: the pair is stored once."""
    low, high = sorted((volunteer_a, volunteer_b))
    return f"{low}:{high}"


async def get_link(session: AsyncSession, link_id: int, *, for_update: bool = False) -> FamilyLink | None:
    query = select(FamilyLink).where(FamilyLink.id == link_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def open_link_between(session: AsyncSession, volunteer_a: int, volunteer_b: int) -> FamilyLink | None:
    """The requested or confirmed link of the pair, in either direction."""
    return await session.scalar(select(FamilyLink).where(FamilyLink.open_pair == pair_key(volunteer_a, volunteer_b)))


async def confirmed_link_between(session: AsyncSession, volunteer_a: int, volunteer_b: int) -> FamilyLink | None:
    link = await open_link_between(session, volunteer_a, volunteer_b)
    return link if link is not None and link.status == FamilyLinkStatus.CONFIRMED else None


async def links_of_volunteer(session: AsyncSession, volunteer_id: int) -> list[FamilyLink]:
    """Every link the volunteer is part of, newest first (ended ones too: they are the history)."""
    rows = await session.scalars(select(FamilyLink).where(
        or_(FamilyLink.volunteer_id == volunteer_id, FamilyLink.relative_id == volunteer_id))
        .order_by(FamilyLink.id.desc()))
    return list(rows.all())


async def links_of_community(session: AsyncSession, community_id: int, *, status: str | None = None,
                             limit: int = 200, offset: int = 0) -> list[FamilyLink]:
    """Links whose asked volunteer is of the community, or whose asker is and that were confirmed, newest first.

    A request the community's volunteer made and nobody confirmed stays out: it would tell the asker's organiser
    that the number and phone digits matched someone.
    """
    first, second = aliased(Volunteer), aliased(Volunteer)
    query = (select(FamilyLink)
             .join(first, first.id == FamilyLink.volunteer_id).join(second, second.id == FamilyLink.relative_id)
             .where(or_(second.community_id == community_id,
                        and_(first.community_id == community_id, FamilyLink.confirmed_at.is_not(None)))))
    if status:
        query = query.where(FamilyLink.status == status)
    rows = await session.scalars(query.order_by(FamilyLink.id.desc()).limit(limit).offset(offset))
    return list(rows.all())


async def linkable_volunteer(session: AsyncSession, *, number: str, phone_last4: str | None) -> Volunteer | None:
    """The active (or pending) volunteer with this number (and, when given, a phone ending in these 4 digits).

    A miss looks the same whatever was wrong, so a volunteer trying numbers learns nothing about who exists.
    Organisers, who check the family in person, look up by number alone (phone_last4 None).
    """
    volunteer = await session.scalar(select(Volunteer).where(Volunteer.number == number))
    if volunteer is None or volunteer.status not in (VolunteerStatus.ACTIVE, VolunteerStatus.PENDING):
        return None
    if phone_last4 is not None and not re.sub(r"\D", "", volunteer.phone).endswith(phone_last4):
        return None
    return volunteer


async def volunteer(session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def people(session: AsyncSession, volunteer_ids: Iterable[int]) -> dict[int, tuple[str, str, int]]:
    """(real name, volunteer number, community id) per volunteer, to show on links."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Volunteer.id, Volunteer.real_name, Volunteer.number, Volunteer.community_id)
                                 .where(among(session, Volunteer.id, ids)))
    return {vid: (name, number, community_id) for vid, name, number, community_id in rows.all()}
