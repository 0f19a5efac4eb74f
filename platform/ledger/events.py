"""Event handlers: attendance decisions become ledger postings, a whole dispatch batch at once.

The handler is a batch handler: the outbox hands it every attendance event of the claimed batch,
and the tally posts them with a handful of bulk statements. If the batch fails, the outbox replays
it one event at a time, so one bad attendance does not hold up its neighbours. Whether an event is
done is decided by the ledger itself (source keys, the posted state per attendance), so a
re-delivery or a replay never posts twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.events import OutboxEvent, subscribe_batch
from servicebank.ledger.tally import tally

ATTENDANCE_EVENTS = ("attendance.approved", "attendance.adjusted", "attendance.declined")


@subscribe_batch(*ATTENDANCE_EVENTS)
async def post_attendances(session: AsyncSession, events: list[OutboxEvent]) -> None:
    """Post the service minutes and points of these events' attendances."""
    await tally(session, [(e.id, int(e.payload["attendance_id"])) for e in events
                          if e.payload.get("attendance_id") is not None])
