"""The organiser's review: approve, adjust times, decline, mark no-show, record by hand, approve in bulk.

Nothing is deleted: every decision bumps the record's revision, keeps an AttendanceAdjustment with
who, when, why and the record before and after, writes the audit log and emits an event the
ledger reads the current row for (谁记录谁证明: the organiser who decides is recorded).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity
from servicebank.audit.service import record_audit
from servicebank.checkins import hooks, rules
from servicebank.checkins import repository as repo
from servicebank.checkins.access import managed_activity, managed_attendance
from servicebank.checkins.models import Attendance, AttendanceAdjustment, AttendanceFlag, AttendanceStatus
from servicebank.kernel.db import session_timezone
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.kernel.events import record_event

# How far from the activity an organiser's recorded times may lie (late-night patrols, early set-up).
ADJUST_SLACK = dt.timedelta(hours=12)


def state(att: Attendance) -> dict[str, Any]:
    """The reviewed fields of an attendance, JSON-safe, for the history and the audit log."""
    return {
        "status": att.status, "served_minutes": att.served_minutes, "flags": list(att.flags or []),
        "checked_in_at": att.checked_in_at.isoformat() if att.checked_in_at else None,
        "checked_out_at": att.checked_out_at.isoformat() if att.checked_out_at else None,
    }


async def record_change(session: AsyncSession, att: Attendance, *, actor: Principal | None, action: str,
                        before: dict[str, Any] | None, reason: str | None, event_type: str | None,
                        now: dt.datetime, decided: bool = True) -> None:
    """Keep the history row, the audit entry and the event of one change already applied to `att`."""
    if decided:
        att.revision += 1
        att.decided_by_user_id = actor.user_id if actor else None
        att.decided_at = now
    after = state(att)
    session.add(AttendanceAdjustment(
        attendance_id=att.id, at=now, actor_user_id=actor.user_id if actor else None,
        actor_name=actor.display_name if actor else None, action=action, reason=reason, before=before,
        after=after, revision=att.revision))
    if actor is not None:
        await record_audit(session, actor=actor, action=f"attendance.{action}", entity_type="attendance",
                           entity_id=att.id, community_id=att.community_id, before=before, after=after,
                           reason=reason)
    if event_type:
        await record_event(session, event_type, {"attendance_id": att.id, "revision": att.revision})
    await session.flush()


async def activity_of(session: AsyncSession, *, attendance_id: int, principal: Principal) -> int:
    """The activity of a record the caller manages (where a refused decision sends them back to)."""
    return (await managed_attendance(session, attendance_id=attendance_id, principal=principal, for_update=False)).activity_id


async def approve(session: AsyncSession, *, attendance_id: int, principal: Principal, now: dt.datetime,
                  reason: str | None = None) -> Attendance:
    """Confirm the minutes of a closed record (also re-approves a declined one); approving twice changes nothing."""
    att = await managed_attendance(session, attendance_id=attendance_id, principal=principal)
    if att.status == AttendanceStatus.APPROVED:
        return att
    if att.status == AttendanceStatus.CHECKED_IN:
        raise Conflict("The volunteer has not checked out yet. Adjust the times to close the record, or wait "
                       "for the check-out.", code="attendance_still_open")
    if att.status == AttendanceStatus.NO_SHOW:
        raise Conflict("A no-show has no times to approve. Adjust the times if the volunteer did serve.",
                       code="attendance_no_show")
    before = state(att)
    att.status = AttendanceStatus.APPROVED
    await record_change(session, att, actor=principal, action="approve", before=before, reason=reason,
                        event_type="attendance.approved", now=now)
    return att


def _validate_times(activity: Activity, checked_in_at: dt.datetime, checked_out_at: dt.datetime,
                    now: dt.datetime) -> int:
    if checked_in_at.tzinfo is None or checked_out_at.tzinfo is None:
        raise InvalidInput("Times need a timezone, e.g. 2025-05-01T09:00:00+08:00.", code="times_need_timezone")
    if checked_out_at <= checked_in_at:
        raise InvalidInput("The check-out time must be after the check-in time.", code="invalid_times")
    if checked_out_at > now:
        raise InvalidInput("Times cannot lie in the future.", code="times_in_future")
    if (checked_in_at < rules.aware(activity.starts_at) - ADJUST_SLACK
            or checked_out_at > rules.aware(activity.ends_at) + ADJUST_SLACK):
        raise InvalidInput("These times are far from the activity's own times; please check the date.",
                           code="times_outside_activity")
    minutes = rules.span_minutes(checked_in_at, checked_out_at)
    if minutes > rules.MAX_ADJUSTED_MINUTES:
        raise InvalidInput("One attendance can count at most 24 hours.", code="adjustment_too_long")
    return minutes


async def _set_times(session: AsyncSession, att: Attendance, *, checked_in_at: dt.datetime,
                     checked_out_at: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """Give the record the times that count (approved); returns the record as it was."""
    activity = await repo.activity_of_record(session, att.activity_id)
    minutes = _validate_times(activity, checked_in_at, checked_out_at, now)
    before = state(att)
    att.checked_in_at, att.checked_out_at = checked_in_at.astimezone(dt.UTC), checked_out_at.astimezone(dt.UTC)
    att.served_minutes = minutes
    att.status = AttendanceStatus.APPROVED
    return before


async def adjust(session: AsyncSession, *, attendance_id: int, principal: Principal, checked_in_at: dt.datetime,
                 checked_out_at: dt.datetime, reason: str, now: dt.datetime) -> Attendance:
    """Set the times that count (the organiser's word, not clamped) and approve them."""
    att = await managed_attendance(session, attendance_id=attendance_id, principal=principal)
    was_approved = att.status == AttendanceStatus.APPROVED
    before = await _set_times(session, att, checked_in_at=checked_in_at, checked_out_at=checked_out_at, now=now)
    await record_change(session, att, actor=principal, action="adjust", before=before, reason=reason,
                        event_type="attendance.adjusted" if was_approved else "attendance.approved", now=now)
    return att


async def correct(session: AsyncSession, *, attendance_id: int, principal: Principal, checked_in_at: dt.datetime,
                  checked_out_at: dt.datetime, reason: str, now: dt.datetime) -> Attendance:
    """A volunteer's correction the organiser accepted (records/corrections.py): the record takes the corrected
    times, and `attendance.corrected` makes the ledger reverse all it posted for it and post the corrected figures
    anew (ledger/tally.py), rather than the difference an adjustment posts."""
    att = await managed_attendance(session, attendance_id=attendance_id, principal=principal)
    if att.status != AttendanceStatus.APPROVED:
        raise Conflict("Only an approved record can be corrected.", code="record_not_correctable")
    before = await _set_times(session, att, checked_in_at=checked_in_at, checked_out_at=checked_out_at, now=now)
    await record_change(session, att, actor=principal, action="correct", before=before, reason=reason,
                        event_type="attendance.corrected", now=now)
    return att


async def decline(session: AsyncSession, *, attendance_id: int, principal: Principal, reason: str,
                  now: dt.datetime) -> Attendance:
    """Refuse a record (also reverses an approval); the record stays, declining twice changes nothing."""
    att = await managed_attendance(session, attendance_id=attendance_id, principal=principal)
    if att.status == AttendanceStatus.DECLINED:
        return att
    before = state(att)
    att.status = AttendanceStatus.DECLINED
    await record_change(session, att, actor=principal, action="decline", before=before, reason=reason,
                        event_type="attendance.declined", now=now)
    return att


async def _volunteer_for(session: AsyncSession, activity: Activity, volunteer_id: int) -> None:
    volunteer = await repo.get_volunteer(session, volunteer_id)
    if volunteer is None or (volunteer.community_id != activity.community_id
                             and volunteer_id not in await repo.confirmed_volunteer_ids(session,
                                                                                        activity_id=activity.id)):
        raise NotFound("No such volunteer in this community.", code="volunteer_not_found")


async def _create(session: AsyncSession, att: Attendance) -> Attendance | None:
    """Insert a record written by an organiser; None when one already exists (the unique key decides)."""
    try:
        async with session.begin_nested():
            session.add(att)
    except IntegrityError:
        return None
    return att


async def mark_no_show(session: AsyncSession, *, activity_id: int, volunteer_id: int, principal: Principal,
                       reason: str | None, now: dt.datetime) -> Attendance:
    """Record that a volunteer did not come (no scan at all); marking twice changes nothing."""
    activity = await managed_activity(session, activity_id=activity_id, principal=principal)
    if now < rules.aware(activity.starts_at):
        raise Conflict("The activity has not started yet.", code="activity_not_started")
    await _volunteer_for(session, activity, volunteer_id)
    att = await repo.get_by_activity_volunteer(session, activity_id=activity_id, volunteer_id=volunteer_id,
                                               for_update=True)
    if att is None:
        att = await _create(session, Attendance(
            activity_id=activity_id, volunteer_id=volunteer_id, community_id=activity.community_id,
            status=AttendanceStatus.NO_SHOW, served_minutes=0, flags=[], created_at=now,
            service_date=rules.service_date(activity.starts_at, session_timezone(session))))
        if att is None:  # the volunteer scanned in at this very moment
            raise Conflict("The volunteer has just checked in.", code="volunteer_checked_in")
        await record_change(session, att, actor=principal, action="no_show", before=None, reason=reason,
                            event_type="attendance.declined", now=now)
        return att
    if att.status == AttendanceStatus.NO_SHOW:
        return att
    if att.checked_in_at is not None:
        raise Conflict("This volunteer checked in. Decline the record instead if the attendance is not genuine.",
                       code="volunteer_checked_in")
    before = state(att)
    att.status = AttendanceStatus.NO_SHOW
    await record_change(session, att, actor=principal, action="no_show", before=before, reason=reason,
                        event_type="attendance.declined", now=now)
    return att


async def manual_record(session: AsyncSession, *, activity_id: int, volunteer_id: int, principal: Principal,
                        checked_in_at: dt.datetime, checked_out_at: dt.datetime, reason: str,
                        now: dt.datetime) -> Attendance:
    """补录: record and approve attendance of a volunteer who could not scan at all."""
    activity = await managed_activity(session, activity_id=activity_id, principal=principal)
    minutes = _validate_times(activity, checked_in_at, checked_out_at, now)
    await _volunteer_for(session, activity, volunteer_id)
    # The same service must not count twice, e.g. the volunteer's own 补录 of this activity (records/gates.py).
    await hooks.manual_record_refusals.answers(session, activity_id=activity_id, volunteer_id=volunteer_id)
    att = await _create(session, Attendance(
        activity_id=activity_id, volunteer_id=volunteer_id, community_id=activity.community_id,
        checked_in_at=checked_in_at.astimezone(dt.UTC), checked_out_at=checked_out_at.astimezone(dt.UTC),
        status=AttendanceStatus.APPROVED, served_minutes=minutes, flags=[AttendanceFlag.MANUAL], created_at=now,
        service_date=rules.service_date(activity.starts_at, session_timezone(session))))
    if att is None:
        existing = await repo.get_by_activity_volunteer(session, activity_id=activity_id, volunteer_id=volunteer_id)
        raise Conflict("This volunteer already has a record for this activity; adjust it instead.",
                       code="attendance_exists", attendance_id=existing.id if existing else None)
    await record_change(session, att, actor=principal, action="manual_record", before=None, reason=reason,
                        event_type="attendance.approved", now=now)
    return att


async def bulk_approve(session: AsyncSession, *, activity_id: int, principal: Principal, now: dt.datetime,
                       attendance_ids: list[int] | None = None,
                       include_flagged: bool = False) -> tuple[list[int], list[dict[str, Any]]]:
    """Approve every closed record of an activity (or the given ones); flagged ones only when asked."""
    await managed_activity(session, activity_id=activity_id, principal=principal)
    rows = await repo.for_review(session, activity_id=activity_id)
    by_id = {att.id: att for att in rows}
    wanted = attendance_ids if attendance_ids is not None else sorted(by_id)
    approved: list[int] = []
    skipped: list[dict[str, Any]] = []
    for attendance_id in wanted:
        att = by_id.get(attendance_id)
        if att is None:
            skipped.append({"attendance_id": attendance_id, "code": "attendance_not_found"})
        elif att.status not in AttendanceStatus.AWAITING_REVIEW:
            if attendance_ids is not None:
                skipped.append({"attendance_id": attendance_id, "code": f"status_{att.status}"})
        elif not include_flagged and AttendanceFlag.NEEDS_REVIEW.intersection(att.flags or []):
            skipped.append({"attendance_id": attendance_id, "code": "flagged", "flags": list(att.flags)})
        else:
            before = state(att)
            att.status = AttendanceStatus.APPROVED
            await record_change(session, att, actor=principal, action="approve", before=before,
                                reason="bulk approval", event_type="attendance.approved", now=now)
            approved.append(attendance_id)
    return approved, skipped
