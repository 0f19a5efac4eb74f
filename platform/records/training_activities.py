"""Trainings held as activities of a training kind (通用/专业/岗前培训): attending one makes a training record (培训情况)
with its hours instead of service hours, and earns points only when the community's training rule says so.

A consumer of the attendance events the ledger's tally also reads (approved, adjusted, declined, corrected). Like the
tally it reads the attendance's current state, so the order of events does not matter and a re-delivered event
changes nothing: one record per attendance (unique `attendance_id`, insert … ON CONFLICT DO NOTHING, then the row
locked), and points posted only as the difference from what the record says is posted, under a source key naming
the event (`training:{attendance id}:event:{event id}`), through the ledger's exactly-once posting (post_many).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.events import OutboxEvent, subscribe_batch
from servicebank.ledger.accounts import account_ids
from servicebank.ledger.models import AccountKind
from servicebank.ledger.posting import Posting, post_many
from servicebank.ledger.rules import load_rules, rule_for
from servicebank.records import training_repository as repo

ATTENDANCE_EVENTS = ("attendance.approved", "attendance.adjusted", "attendance.declined", "attendance.corrected")
TRANSACTION_KIND = "training_points"
MAX_MINUTES = 24 * 60


@subscribe_batch(*ATTENDANCE_EVENTS)
async def record_trainings(session: AsyncSession, events: list[OutboxEvent]) -> None:
    """Bring the training records (and their points) of these events' attendances in line, for those that are
    trainings.

    A batch handler: one query finds which of the batch's attendances are trainings, so an attendance at any other
    activity (nearly all of them: a festival's thousand check-outs) costs this consumer no statement of its own.
    """
    ids = sorted({int(e.payload["attendance_id"]) for e in events if e.payload.get("attendance_id") is not None})
    trainings = await repo.attended_trainings(session, ids) if ids else {}
    for event in events:
        attended = trainings.get(int(event.payload.get("attendance_id") or 0))
        if attended is not None:
            await record_training(session, event, attended)


async def record_training(session: AsyncSession, event: OutboxEvent, attended: repo.Attended) -> None:
    """Bring one training attendance's record (and its points) in line with the attendance."""
    await load_rules(session, {(attended.community_id, attended.kind)})
    rule = rule_for(session, community_id=attended.community_id, kind=attended.kind, override=attended.override)
    # Nothing is deleted: a declined training keeps its record with no minutes (and its points taken back).
    minutes = min(rule.minutes_for(attended.served_minutes), MAX_MINUTES) if attended.approved else 0
    row = await repo.locked_record(session, attended, minutes)
    if row is None:
        return
    row.minutes, row.trained_on = minutes, attended.service_date
    points = rule.points_for(minutes, paid_service=attended.paid_service) \
        if minutes and await repo.earns_points(session, attended.community_id) else 0
    change = points - row.posted_points
    if change:
        accounts = await account_ids(session, [(AccountKind.VOLUNTEER, attended.volunteer_id),
                                               (AccountKind.COMMUNITY, attended.community_id)])
        await post_many(session, [Posting(
            source_key=f"training:{attended.attendance_id}:event:{event.id}", kind=TRANSACTION_KIND,
            memo=f"training, attendance #{attended.attendance_id}: {minutes} min, {points} pts",
            entries=[(accounts[(AccountKind.VOLUNTEER, attended.volunteer_id)], change),
                     (accounts[(AccountKind.COMMUNITY, attended.community_id)], -change)])])
        row.posted_points = points
    await session.flush()
