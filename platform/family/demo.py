"""Demo data for family links: the demo volunteer and her daughter, so gifts work at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.family.models import FamilyLink, FamilyLinkStatus, FamilyRelation
from servicebank.family.repository import pair_key
from servicebank.kernel.clock import utcnow


async def seed(session: AsyncSession, ctx: Any) -> None:
    """李桂兰 (the demo volunteer, 和谐社区) and her daughter 林晓燕 (友邻社区), linked and confirmed."""
    volunteers = ctx.values.get("volunteers") or []
    if len(volunteers) > 18:
        mother, daughter = volunteers[1], volunteers[18]
        session.add(FamilyLink(volunteer_id=mother.id, relative_id=daughter.id, relation=FamilyRelation.CHILD,
                               status=FamilyLinkStatus.CONFIRMED, open_pair=pair_key(mother.id, daughter.id),
                               confirmed_at=utcnow()))
    await session.flush()
