"""Late claims (补录): a volunteer claims a past service with evidence; an organiser approves or declines it.

Approval posts the hours through the ledger once (claim_posting.py). Services flush, never commit: the request or
the test owns the transaction, so a refused claim writes nothing (the checks run before any photo is stored).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.kinds import TRAINING_KINDS
from servicebank.activities.models import Activity, ActivityStatus
from servicebank.audit.service import record_audit, snapshot
from servicebank.checkins import rules
from servicebank.config import Settings
from servicebank.kernel.db import local_date, session_timezone
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.records import claim_posting, evidence
from servicebank.records import claim_repository as repo
from servicebank.records.models import ClaimPhoto, ClaimStatus, ServiceClaim
from servicebank.records.schemas import ClaimIn

MAX_CONTENT, MAX_PLACE, MAX_REASON = 1000, 200, 500


def _check_fields(data: ClaimIn, now: dt.datetime, max_age_days: int) -> int:
    """The claimed minutes, once the target, text and times are acceptable."""
    if (data.activity_id is None) == (data.organisation_id is None):
        raise InvalidInput("Name either the activity (activity_id) or the organisation (organisation_id).",
                           code="claim_target_required")
    if not data.content.strip() or len(data.content) > MAX_CONTENT or len(data.place) > MAX_PLACE \
            or (data.organisation_id is not None and not data.place.strip()):
        raise InvalidInput(f"Say what you did (1 to {MAX_CONTENT} characters) and, for a service elsewhere, where "
                           f"(up to {MAX_PLACE}).", code="invalid_claim")
    if data.started_at.tzinfo is None or data.ended_at.tzinfo is None:
        raise InvalidInput("Times need a timezone, e.g. 2025-05-01T09:00:00+08:00.", code="times_need_timezone")
    minutes = rules.span_minutes(data.started_at, data.ended_at)
    if data.ended_at <= data.started_at or data.ended_at > now or minutes > rules.MAX_ADJUSTED_MINUTES:
        raise InvalidInput("The service must end after it starts, lie in the past and last at most 24 hours.",
                           code="claim_invalid_times")
    if data.ended_at < now - dt.timedelta(days=max_age_days):
        raise InvalidInput(f"Services that ended more than {max_age_days} days ago cannot be claimed.",
                           code="claim_too_old", max_age_days=max_age_days)
    return minutes


async def _check_not_counted(session: AsyncSession, *, activity_id: int, volunteer_id: int) -> None:
    if await repo.credited_attendance(session, activity_id=activity_id, volunteer_id=volunteer_id) is not None:
        raise Conflict("You already have a record for this activity; ask for a correction instead.",
                       code="claim_already_credited")


async def _activity_target(session: AsyncSession, data: ClaimIn, volunteer_id: int) -> tuple[Activity, int, dt.date]:
    """The activity, the minutes that count (the claimed times inside its window) and its service day."""
    assert data.activity_id is not None
    activity = await session.get(Activity, data.activity_id)
    if activity is None or activity.status in (ActivityStatus.DRAFT, ActivityStatus.PENDING_APPROVAL):
        raise NotFound("No such activity.", code="activity_not_found")
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict("This activity was cancelled.", code="activity_cancelled")
    if activity.kind in TRAINING_KINDS:  # a 补录 posts service hours; a training is recorded as training instead
        raise InvalidInput("A training is not a service to claim; ask the organiser to record the training.",
                           code="claim_training_activity")
    minutes = rules.served_minutes(checked_in_at=data.started_at, checked_out_at=data.ended_at,
                                   starts_at=rules.aware(activity.starts_at), ends_at=rules.aware(activity.ends_at))
    if minutes == 0:
        raise InvalidInput("These times do not overlap the activity's own times.",
                           code="claim_times_outside_activity")
    await _check_not_counted(session, activity_id=activity.id, volunteer_id=volunteer_id)
    if await repo.live_claim_for(session, activity_id=activity.id, volunteer_id=volunteer_id) is not None:
        raise Conflict("You have already claimed this activity.", code="claim_duplicate")
    return activity, minutes, rules.service_date(activity.starts_at, session_timezone(session))


async def submit(session: AsyncSession, *, settings: Settings, principal: Principal, data: ClaimIn,
                 photos: list[bytes], now: dt.datetime) -> ServiceClaim:
    """A volunteer claims a past service; it waits for an organiser of the community where it happened."""
    volunteer_id = principal.require_active_volunteer()
    minutes = _check_fields(data, now, settings.claim_max_age_days)
    checked = evidence.check(photos, max_bytes=settings.claim_photo_max_bytes)
    if data.activity_id is not None:
        activity, minutes, day = await _activity_target(session, data, volunteer_id)
        community_id, place = activity.community_id, ""
    else:
        assert data.organisation_id is not None
        organisation = await repo.community(session, data.organisation_id)
        if organisation is None:
            raise InvalidInput("We do not know this organisation.", code="unknown_organisation")
        community_id, place, day = organisation.id, data.place.strip(), local_date(session, data.started_at)
    claim = ServiceClaim(volunteer_id=volunteer_id, community_id=community_id, activity_id=data.activity_id,
                         place=place, content=data.content.strip(), started_at=data.started_at.astimezone(dt.UTC),
                         ended_at=data.ended_at.astimezone(dt.UTC), service_date=day, served_minutes=minutes,
                         created_at=now)
    try:
        async with session.begin_nested():
            session.add(claim)
    except IntegrityError:  # the same claim sent twice at once: the unique index decides
        raise Conflict("You have already claimed this activity.", code="claim_duplicate") from None
    for position, photo in enumerate(checked, start=1):
        evidence.store(settings, photo)
        session.add(ClaimPhoto(claim_id=claim.id, position=position, stored_name=photo.stored_name,
                               media_type=photo.media_type, size_bytes=len(photo.data)))
    await session.flush()
    await record_audit(session, actor=principal, action="service_claim.submit", entity_type="service_claim",
                       entity_id=claim.id, community_id=community_id, after=snapshot(claim))
    await record_event(session, "service_claim.submitted", {"claim_id": claim.id, "community_id": community_id})
    return claim


async def _claim_to_decide(session: AsyncSession, principal: Principal, claim_id: int) -> ServiceClaim:
    claim = await repo.lock_claim(session, claim_id)
    if claim is None or not principal.belongs_to(claim.community_id):
        raise NotFound("No such claim.", code="claim_not_found")
    principal.require_manager(claim.community_id)
    if claim.status != ClaimStatus.PENDING:
        raise Conflict("This claim has already been decided.", code="claim_already_decided",
                       claim_status=claim.status)
    return claim


async def _decided(session: AsyncSession, principal: Principal, claim: ServiceClaim, *, status: str,
                   reason: str | None, now: dt.datetime) -> ServiceClaim:
    before = snapshot(claim)
    claim.status, claim.decided_by_user_id, claim.decided_at = status, principal.user_id, now
    claim.decision_reason = reason
    await session.flush()
    action = "approve" if status == ClaimStatus.APPROVED else "decline"
    await record_audit(session, actor=principal, action=f"service_claim.{action}", entity_type="service_claim",
                       entity_id=claim.id, community_id=claim.community_id, before=before, after=snapshot(claim),
                       reason=reason)
    await record_event(session, "service_claim.decided", {"claim_id": claim.id, "volunteer_id": claim.volunteer_id})
    return claim


async def approve(session: AsyncSession, *, principal: Principal, claim_id: int, reason: str = "",
                  now: dt.datetime) -> ServiceClaim:
    """An organiser confirms the claim: its hours are posted once, under the hours rules."""
    claim = await _claim_to_decide(session, principal, claim_id)
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"A reason is at most {MAX_REASON} characters.", code="claim_reason_required")
    if claim.activity_id is not None:  # a record made by hand since the claim would count the service twice
        await _check_not_counted(session, activity_id=claim.activity_id, volunteer_id=claim.volunteer_id)
    await claim_posting.post_claim(session, claim)
    return await _decided(session, principal, claim, status=ClaimStatus.APPROVED, reason=reason.strip() or None,
                          now=now)


async def decline(session: AsyncSession, *, principal: Principal, claim_id: int, reason: str,
                  now: dt.datetime) -> ServiceClaim:
    """An organiser turns the claim down, saying why; nothing is posted."""
    claim = await _claim_to_decide(session, principal, claim_id)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"Say why the claim is declined (up to {MAX_REASON} characters).",
                           code="claim_reason_required")
    return await _decided(session, principal, claim, status=ClaimStatus.DECLINED, reason=reason, now=now)


async def readable(session: AsyncSession, *, principal: Principal, claim_id: int) -> ServiceClaim:
    """The claim for its volunteer or an organiser of its community; nobody else learns it exists."""
    claim = await session.get(ServiceClaim, claim_id)
    if claim is None or not (principal.volunteer_id == claim.volunteer_id or principal.manages(claim.community_id)):
        raise NotFound("No such claim.", code="claim_not_found")
    return claim


async def photo_file(session: AsyncSession, *, settings: Settings, principal: Principal, claim_id: int,
                     position: int) -> tuple[ClaimPhoto, str]:
    """A claim's evidence photo and where it is kept, for the claim's readers only."""
    await readable(session, principal=principal, claim_id=claim_id)
    photo = await repo.photo(session, claim_id=claim_id, position=position)
    if photo is None:
        raise NotFound("No such photo.", code="claim_not_found")
    return photo, str(evidence.path_of(settings, photo.stored_name))


async def form_choices(session: AsyncSession, *, settings: Settings, principal: Principal,
                       now: dt.datetime) -> tuple[list[Activity], list[tuple[int, str]]]:
    """What the claim form offers: the home community's recent activities, and the organisations we know."""
    volunteer_community = principal.volunteer_community_id
    since = now - dt.timedelta(days=settings.claim_max_age_days)
    activities = list(await repo.claimable_activities(session, community_id=volunteer_community, ended_after=since,
                                                      now=now)) if volunteer_community else []
    return activities, [(c.id, c.name) for c in await repo.known_organisations(session)]
