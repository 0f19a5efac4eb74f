"""Periodic jobs of the checkins domain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.checkins.closing import auto_close_due
from servicebank.kernel.clock import utcnow
from servicebank.workers.runtime import periodic_job


@periodic_job("checkins-auto-close", "checkins.auto_close", seconds=300, done="auto-closed %d attendance records")
async def auto_close(session: AsyncSession) -> list[int]:
    """Close attendance left open past the activity's end plus grace (idempotent: only open rows change)."""
    return await auto_close_due(session, now=utcnow())
