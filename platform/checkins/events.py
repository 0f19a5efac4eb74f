"""Event handlers of the checkins domain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.checkins.closing import close_for_cancelled_activity
from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import OutboxEvent, subscribe


@subscribe("activity.cancelled")
async def close_attendance_of_cancelled_activity(session: AsyncSession, event: OutboxEvent) -> None:
    """Open check-ins of a cancelled activity are closed and flagged; closed ones are left for review."""
    # Idempotent: only records still checked in are touched, and a second delivery finds none.
    await close_for_cancelled_activity(session, activity_id=int(event.payload["activity_id"]), now=utcnow())
