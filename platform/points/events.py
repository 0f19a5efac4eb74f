"""Event handlers: attendance decisions become ledger postings, a whole dispatch batch at once.

The outbox runs handlers one event at a time, each in its own savepoint. The first attendance event
of a batch tallies every attendance event claimed in that batch with a handful of bulk statements
(in a savepoint of its own: if that fails, it tallies just its own event); the later events of the
batch then find themselves done. Whether an event is done is decided by the ledger itself (source
keys, the posted state per attendance), so a re-delivery or a replay never posts twice.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.events import OutboxEvent, subscribe
from servicebank.points.models import Transaction
from servicebank.points.tally import tally

log = logging.getLogger(__name__)

ATTENDANCE_EVENTS = ("attendance.approved", "attendance.adjusted", "attendance.declined")
BATCH = "points.tally_batch"


@dataclasses.dataclass
class _Batch:
    covered: set[int]
    # A source key the bulk tally posted; if it is gone, a savepoint around the bulk rolled back.
    witness: str | None
    confirmed: bool | None = None


def _claimed_events(session: AsyncSession, current: OutboxEvent) -> list[OutboxEvent]:
    """The attendance events of this dispatch batch not yet handled (the outbox loaded them into the session)."""
    found = [obj for obj in session.identity_map.values()
             if isinstance(obj, OutboxEvent) and obj.type in ATTENDANCE_EVENTS and obj.id >= current.id
             and obj.processed_at is None and not obj.dead]
    return sorted(found, key=lambda e: e.id)


def _causes(events: list[OutboxEvent]) -> list[tuple[int, int]]:
    return [(e.id, int(e.payload["attendance_id"])) for e in events if e.payload.get("attendance_id") is not None]


async def _already_covered(session: AsyncSession, event: OutboxEvent) -> bool:
    batch: _Batch | None = session.info.get(BATCH)
    if batch is None or event.id not in batch.covered:
        return False
    if batch.confirmed is None:
        # Decided once, before anything else is written: a fallback may later post the same keys again.
        batch.confirmed = batch.witness is None or await session.scalar(
            select(Transaction.id).where(Transaction.source_key == batch.witness)) is not None
    return bool(batch.confirmed)


@subscribe(*ATTENDANCE_EVENTS)
async def post_attendance(session: AsyncSession, event: OutboxEvent) -> None:
    """Post the service minutes and points of the attendance (and of the rest of the batch)."""
    if await _already_covered(session, event):
        return
    batch = _claimed_events(session, event)
    if len(batch) > 1:
        try:
            async with session.begin_nested():
                keys = await tally(session, _causes(batch))
            session.info[BATCH] = _Batch(covered={e.id for e in batch}, witness=keys[0] if keys else None)
            return
        except Exception:  # noqa: BLE001 - one bad attendance must not fail its neighbours: go one by one
            log.warning("bulk tally of %d events failed; tallying event %s alone", len(batch), event.id,
                        exc_info=True)
            session.info.pop(BATCH, None)
    await tally(session, _causes([event]))
