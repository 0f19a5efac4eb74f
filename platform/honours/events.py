"""Event handlers: keep the ledger's star-level announcements for the monthly honour list."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.honours.models import StarAward
from servicebank.kernel.events import OutboxEvent, subscribe


@subscribe("ledger.star_level_reached")
async def remember_star_level(session: AsyncSession, event: OutboxEvent) -> None:
    """Store the award once per event (a re-delivered event finds its row and does nothing)."""
    known = await session.scalar(select(StarAward.id).where(StarAward.source_event_id == event.id))
    if known is not None:
        return
    payload = event.payload or {}
    session.add(StarAward(source_event_id=event.id, volunteer_id=int(payload["volunteer_id"]),
                          level=int(payload["level"]), reached_at=event.created_at))
    await session.flush()
