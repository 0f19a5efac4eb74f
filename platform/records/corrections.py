"""Corrections on request: a volunteer asks to correct a record (other times, another activity); an organiser of
the record's community accepts or declines. Nothing is edited or deleted in the ledger.

An accepted correction of a late claim reverses everything the claim counts for and posts the corrected figures
(claim_posting.post_correction). Of an attendance, it goes through the attendance's own history (checkins/review):
other times → `correct` (the tally reverses all it posted and posts anew); another activity → the record is
declined (its posting reversed) and a record of the right activity made (a new posting). Every step is audited and
listed with the record. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit, snapshot
from servicebank.checkins import review, rules
from servicebank.checkins.models import AttendanceStatus
from servicebank.kernel.db import local_date, session_timezone
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.records import claim_posting
from servicebank.records import correction_repository as repo
from servicebank.records.models import ClaimStatus, CorrectionStatus, ServiceClaim, ServiceCorrection
from servicebank.records.schemas import CorrectionIn

MAX_REASON = 500


def _check_request(data: CorrectionIn, now: dt.datetime) -> None:
    if (data.attendance_id is None) == (data.claim_id is None):
        raise InvalidInput("Name the record: attendance_id or claim_id.", code="correction_target_required")
    if not data.reason.strip() or len(data.reason) > MAX_REASON:
        raise InvalidInput(f"Say what is wrong (1 to {MAX_REASON} characters).", code="correction_reason_required")
    if data.started_at.tzinfo is None or data.ended_at.tzinfo is None:
        raise InvalidInput("Times need a timezone, e.g. 2025-05-01T09:00:00+08:00.", code="times_need_timezone")
    if data.ended_at <= data.started_at or data.ended_at > now \
            or rules.span_minutes(data.started_at, data.ended_at) > rules.MAX_ADJUSTED_MINUTES:
        raise InvalidInput("The service must end after it starts, lie in the past and last at most 24 hours.",
                           code="correction_invalid_times")


async def _record(session: AsyncSession, data: CorrectionIn, volunteer_id: int) -> tuple[int, int, tuple]:
    """(the record's community, its activity or 0, its times) for the volunteer's own counted record."""
    if data.attendance_id is not None:
        att = await repo.attendance(session, data.attendance_id)
        if att is None or att.volunteer_id != volunteer_id:
            raise NotFound("No such record of yours.", code="correction_record_not_found")
        if att.status != AttendanceStatus.APPROVED:
            raise Conflict("Only a record that counts can be corrected; ask the organiser about this one.",
                           code="record_not_correctable")
        return att.community_id, att.activity_id, (att.checked_in_at, att.checked_out_at)
    assert data.claim_id is not None
    claim = await repo.claim(session, data.claim_id)
    if claim is None or claim.volunteer_id != volunteer_id:
        raise NotFound("No such record of yours.", code="correction_record_not_found")
    if claim.status != ClaimStatus.APPROVED:
        raise Conflict("Only a record that counts can be corrected; a waiting claim is decided first.",
                       code="record_not_correctable")
    return claim.community_id, claim.activity_id or 0, (claim.started_at, claim.ended_at)


async def request(session: AsyncSession, *, principal: Principal, data: CorrectionIn,
                  now: dt.datetime) -> ServiceCorrection:
    """A volunteer asks to correct one of their records; it waits for an organiser of the record's community."""
    volunteer_id = principal.require_volunteer()
    _check_request(data, now)
    community_id, current_activity, times = await _record(session, data, volunteer_id)
    activity_id = data.activity_id if data.activity_id not in (None, current_activity) else None
    target = activity_id or current_activity
    if activity_id is not None:
        activity = await repo.activity(session, activity_id)
        if activity is None or activity.community_id != community_id:
            raise InvalidInput("The right activity must be one of the same community.",
                               code="correction_activity_elsewhere")
    if target:
        activity = await repo.activity(session, target)
        assert activity is not None
        if rules.served_minutes(checked_in_at=data.started_at, checked_out_at=data.ended_at,
                                starts_at=rules.aware(activity.starts_at), ends_at=rules.aware(activity.ends_at)) == 0:
            raise InvalidInput("These times do not overlap the activity's own times.", code="times_outside_activity")
    same_times = tuple(rules.aware(t) if t else None for t in times) == (data.started_at, data.ended_at)
    if activity_id is None and same_times:
        raise InvalidInput("This is what the record says already.", code="correction_no_change")
    if await repo.pending_for(session, attendance_id=data.attendance_id, claim_id=data.claim_id) is not None:
        raise Conflict("A correction of this record is already waiting for the organiser.", code="correction_pending")
    correction = ServiceCorrection(
        volunteer_id=volunteer_id, community_id=community_id, attendance_id=data.attendance_id,
        claim_id=data.claim_id, activity_id=activity_id, started_at=data.started_at.astimezone(dt.UTC),
        ended_at=data.ended_at.astimezone(dt.UTC), reason=data.reason.strip(), created_at=now)
    try:
        async with session.begin_nested():
            session.add(correction)
    except IntegrityError:  # the same request sent twice at once
        raise Conflict("A correction of this record is already waiting for the organiser.",
                       code="correction_pending") from None
    await record_audit(session, actor=principal, action="service_correction.request", entity_type="service_correction",
                       entity_id=correction.id, community_id=community_id, after=snapshot(correction),
                       reason=correction.reason)
    await record_event(session, "service_correction.requested",
                       {"correction_id": correction.id, "community_id": community_id})
    return correction


async def _to_decide(session: AsyncSession, principal: Principal, correction_id: int,
                     reason: str) -> ServiceCorrection:
    correction = await repo.lock_correction(session, correction_id)
    if correction is None or not principal.belongs_to(correction.community_id):
        raise NotFound("No such correction request.", code="correction_not_found")
    principal.require_manager(correction.community_id)
    if correction.status != CorrectionStatus.PENDING:
        raise Conflict("This correction request has already been decided.", code="correction_already_decided",
                       correction_status=correction.status)
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"A reason is at most {MAX_REASON} characters.", code="correction_reason_required")
    return correction


async def _correct_claim(session: AsyncSession, correction: ServiceCorrection, claim: ServiceClaim) -> None:
    activity_id = correction.activity_id or claim.activity_id
    minutes = rules.span_minutes(correction.started_at, correction.ended_at)
    day = local_date(session, correction.started_at)
    if activity_id is not None:
        activity = await repo.activity(session, activity_id)
        assert activity is not None
        minutes = rules.served_minutes(checked_in_at=correction.started_at, checked_out_at=correction.ended_at,
                                       starts_at=rules.aware(activity.starts_at), ends_at=rules.aware(activity.ends_at))
        day = rules.service_date(activity.starts_at, session_timezone(session))
    reversal, posting = await claim_posting.post_correction(session, claim, correction,
                                                            claim_posting.Service(activity_id, day, minutes))
    correction.service_date = day
    correction.reversal_transaction_id, correction.posting_transaction_id = reversal.id, posting.id


async def _correct_attendance(session: AsyncSession, principal: Principal, correction: ServiceCorrection,
                              now: dt.datetime) -> None:
    assert correction.attendance_id is not None
    why = f"更正申请 #{correction.id}：{correction.reason}"
    if correction.activity_id is None:
        await review.correct(session, attendance_id=correction.attendance_id, principal=principal,
                             checked_in_at=correction.started_at, checked_out_at=correction.ended_at, reason=why,
                             now=now)
        return
    wrong = await review.decline(session, attendance_id=correction.attendance_id, principal=principal, reason=why,
                                 now=now)
    right = await review.manual_record(session, activity_id=correction.activity_id, volunteer_id=wrong.volunteer_id,
                                       principal=principal, checked_in_at=correction.started_at,
                                       checked_out_at=correction.ended_at, reason=why, now=now)
    correction.new_attendance_id = right.id


async def decide(session: AsyncSession, *, principal: Principal, correction_id: int, accept: bool, reason: str,
                 now: dt.datetime) -> ServiceCorrection:
    """An organiser accepts (the record is corrected: a reversal plus a new posting) or declines (with a reason)."""
    reason = reason.strip()
    correction = await _to_decide(session, principal, correction_id, reason)
    if not accept and not reason:
        raise InvalidInput("Say why the correction is declined.", code="correction_reason_required")
    before = snapshot(correction)
    if accept and correction.claim_id is not None:
        claim = await repo.claim(session, correction.claim_id)
        assert claim is not None
        await _correct_claim(session, correction, claim)
    elif accept:
        await _correct_attendance(session, principal, correction, now)
    correction.status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.DECLINED
    correction.decided_by_user_id, correction.decided_at, correction.decision_reason = principal.user_id, now, reason or None
    await session.flush()
    await record_audit(session, actor=principal, action=f"service_correction.{'accept' if accept else 'decline'}",
                       entity_type="service_correction", entity_id=correction.id, community_id=correction.community_id,
                       before=before, after=snapshot(correction), reason=reason or None)
    await record_event(session, "service_correction.decided",
                       {"correction_id": correction.id, "volunteer_id": correction.volunteer_id})
    return correction


async def readable(session: AsyncSession, *, principal: Principal, correction_id: int) -> ServiceCorrection:
    """The request for its volunteer or an organiser of its community; nobody else learns it exists."""
    correction = await session.get(ServiceCorrection, correction_id)
    if correction is None or not (principal.volunteer_id == correction.volunteer_id
                                  or principal.manages(correction.community_id)):
        raise NotFound("No such correction request.", code="correction_not_found")
    return correction
