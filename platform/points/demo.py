"""Demo data for the service bank: hours rules people recognise, a community's time-bank limits, a family link."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.points.family_repository import pair_key
from servicebank.points.models import CommunityLedgerPolicy, FamilyLink, FamilyLinkStatus, FamilyRelation, HoursRule


async def seed(session: AsyncSession, ctx: Any) -> None:
    """Night patrols count ×1.5, lectures round down to the half hour; 和谐社区 caps gifts at 600 points a month."""
    session.add_all([
        HoursRule(kind="patrol", multiplier_permille=1500, rounding_minutes=15, daily_cap_minutes=600),
        HoursRule(kind="lecture", rounding_minutes=30, rounding="down"),
    ])
    community = ctx.values.get("community")
    if community is not None:
        session.add(CommunityLedgerPolicy(community_id=community.id, max_transfer_per_month=600,
                                          min_service_minutes_to_spend=0, allow_family_transfers=True,
                                          allow_pool_donations=True))
    volunteers = ctx.values.get("volunteers") or []
    if len(volunteers) > 18:
        # 李桂兰 (the demo volunteer, 和谐社区) and her daughter 林晓燕 (友邻社区): gifts work at once.
        mother, daughter = volunteers[1], volunteers[18]
        session.add(FamilyLink(volunteer_id=mother.id, relative_id=daughter.id, relation=FamilyRelation.CHILD,
                               status=FamilyLinkStatus.CONFIRMED, open_pair=pair_key(mother.id, daughter.id),
                               confirmed_at=dt.datetime.now(dt.UTC)))
    await session.flush()
