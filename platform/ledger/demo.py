"""Demo data for the ledger: hours rules people recognise and a community's time-bank limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.ledger.models import CommunityLedgerPolicy, HoursRule


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
    await session.flush()
