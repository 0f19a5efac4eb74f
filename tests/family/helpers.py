"""Builders for family-link tests."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.family.models import FamilyLink, FamilyLinkStatus
from servicebank.family.repository import pair_key
from servicebank.kernel.clock import utcnow
from servicebank.volunteers.models import Volunteer


async def link_family(session: AsyncSession, volunteer: Volunteer, relative: Volunteer, *,
                      relation: str = "配偶") -> FamilyLink:
    """A confirmed family link (as if both volunteers consented): the relative is `relation` to the volunteer."""
    link = FamilyLink(volunteer_id=volunteer.id, relative_id=relative.id, relation=relation,
                      status=FamilyLinkStatus.CONFIRMED, open_pair=pair_key(volunteer.id, relative.id),
                      confirmed_at=utcnow())
    session.add(link)
    await session.commit()
    return link
