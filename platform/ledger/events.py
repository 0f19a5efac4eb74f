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

# A correction the organiser accepted on a volunteer's request: reversed in full and posted anew.
CORRECTED = "attendance.corrected"
ATTENDANCE_EVENTS = ("attendance.approved", "attendance.adjusted", "attendance.declined", CORRECTED)


@subscribe_batch(*ATTENDANCE_EVENTS)
async def post_attendances(session: AsyncSession, events: list[OutboxEvent]) -> None:
    """Post the service minutes and points of these events' attendances."""
    named = [e for e in events if e.payload.get("attendance_id") is not None]
    await tally(session, [(e.id, int(e.payload["attendance_id"])) for e in named],
                anew={int(e.payload["attendance_id"]) for e in named if e.type == CORRECTED})
