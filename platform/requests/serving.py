"""The requests domain's front door, part three: start, finish (posted to the ledger), rate (评单), cancel,
and the periodic check (escalation, expiry, closing unrated requests)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Conflict, InvalidInput
from servicebank.kernel.events import record_event
from servicebank.requests import access, geofence, posting, reminders, repository
from servicebank.requests.dispatch import locked
from servicebank.requests.geofence import Position
from servicebank.requests.models import Household, RequestRating, RequestStatus, ServedVia, ServiceRequest
from servicebank.requests.service import wrong_state

RATING_DAYS = 7
LOW_RATING = 2  # this many stars or fewer opens a review for the organiser
MAX_TAGS, MAX_TAG_LENGTH = 6, 20


async def _household(session: AsyncSession, request: ServiceRequest) -> Household:
    household = await session.get(Household, request.household_id)
    assert household is not None
    return household


async def start(session: AsyncSession, *, principal: Principal, request_id: int, position: Position = None,
                via: str = ServedVia.BUTTON) -> ServiceRequest:
    """服务开始 at the resident's home: the assigned volunteer (within the geofence, if any), or staff for them."""
    request = await locked(session, request_id)
    access.require_server(principal, request)
    await _check_place(session, principal, request, position)
    return await begin(session, request, user_id=principal.user_id, via=via)


async def finish(session: AsyncSession, *, principal: Principal, request_id: int, position: Position = None,
                 via: str = ServedVia.BUTTON) -> ServiceRequest:
    """服务结束: the served time goes through the hours rules into the ledger, with the payment, in this transaction."""
    request = await locked(session, request_id)
    access.require_server(principal, request)
    await _check_place(session, principal, request, position)
    return await end(session, request, user_id=principal.user_id, via=via)


async def _check_place(session: AsyncSession, principal: Principal, request: ServiceRequest,
                       position: Position) -> None:
    # Staff starting or finishing from the desk for a volunteer without a phone vouch for it: no position asked.
    if principal.volunteer_id is not None and principal.volunteer_id == request.volunteer_id:
        await geofence.check(session, request, await _household(session, request), position)


async def begin(session: AsyncSession, request: ServiceRequest, *, user_id: int, via: str) -> ServiceRequest:
    """Start a locked, accepted request (the caller has checked who and where)."""
    if request.status != RequestStatus.ACCEPTED:
        raise wrong_state(request)
    request.status, request.started_at, request.started_via = RequestStatus.IN_SERVICE, utcnow(), via
    await session.flush()
    await record_event(session, "request.started", {"request_id": request.id, "user_id": user_id, "via": via})
    return request


async def end(session: AsyncSession, request: ServiceRequest, *, user_id: int, via: str) -> ServiceRequest:
    """Finish a locked request in service and post it (the caller has checked who and where)."""
    if request.status != RequestStatus.IN_SERVICE:
        raise wrong_state(request)
    request.finished_at, request.finished_via = utcnow(), via
    await posting.post_service(session, request, await repository.policy(session, request.community_id))
    request.status = RequestStatus.AWAITING_RATING
    await session.flush()
    await record_event(session, "request.finished", {
        "request_id": request.id, "user_id": user_id, "volunteer_id": request.volunteer_id,
        "minutes": request.posted_minutes, "points": request.posted_points, "via": via})
    return request


def _check_rating(stars: int, tags: list[str], comment: str) -> tuple[list[str], str]:
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput("Give 1 to 5 stars.", code="rating_stars_invalid")
    clean = [t.strip()[:MAX_TAG_LENGTH] for t in tags if t.strip()]
    if len(clean) > MAX_TAGS or len(comment) > 500:
        raise InvalidInput(f"At most {MAX_TAGS} tags and 500 characters of comment.", code="rating_too_long")
    return list(dict.fromkeys(clean)), comment.strip()


async def rate(session: AsyncSession, *, principal: Principal, request_id: int, stars: int, tags: list[str],
               comment: str) -> RequestRating:
    """评单 within 7 days of the service, once: the resident, or a 网格员 for them; a low rating opens a review."""
    request = await locked(session, request_id)
    household = await _household(session, request)
    on_behalf = access.require_rater(principal, request, household)
    tags, comment = _check_rating(stars, tags, comment)
    if await repository.rating_of(session, request.id) is not None:
        raise Conflict("This request has already been rated. Thank you!", code="request_already_rated")
    if request.status != RequestStatus.AWAITING_RATING:
        raise wrong_state(request)
    now = utcnow()
    assert request.finished_at is not None and request.volunteer_id is not None
    if now > request.finished_at + dt.timedelta(days=RATING_DAYS):
        raise Conflict(f"Ratings are taken within {RATING_DAYS} days of the service.", code="rating_window_closed")
    rating = RequestRating(request_id=request.id, volunteer_id=request.volunteer_id, stars=stars, tags=tags,
                           comment=comment, rated_by_user_id=principal.user_id, on_behalf=on_behalf,
                           review_open=stars <= LOW_RATING, created_at=now)
    session.add(rating)
    request.status, request.closed_at = RequestStatus.COMPLETED, now
    await session.flush()
    await record_event(session, "request.rated", {"request_id": request.id, "user_id": principal.user_id,
                                                  "stars": stars, "review_open": rating.review_open})
    return rating


async def close_review(session: AsyncSession, *, principal: Principal, request_id: int, note: str) -> RequestRating:
    """The organiser closes the review a low rating opened, with what was done."""
    request = await access.get_request(session, request_id)
    access.require_manager(principal, request)
    rating = await repository.rating_of(session, request.id)
    if rating is None or not rating.review_open:
        raise Conflict("There is no open review for this request.", code="request_review_not_open")
    if len(note.strip()) < 2:
        raise InvalidInput("Please say what was done about it.", code="reason_required")
    rating.review_open, rating.review_note = False, note.strip()[:500]
    await session.flush()
    return rating


async def cancel(session: AsyncSession, *, principal: Principal, request_id: int, reason: str) -> ServiceRequest:
    """已取消, by the resident or the community, with a reason; not once the service has started."""
    request = await locked(session, request_id)
    access.require_canceller(principal, request, await _household(session, request))
    if request.status not in RequestStatus.CANCELLABLE:
        raise wrong_state(request)
    if len(reason.strip()) < 2:
        raise InvalidInput("Please give a reason for cancelling.", code="reason_required")
    request.status, request.closed_at = RequestStatus.CANCELLED, utcnow()
    request.cancelled_by_user_id, request.cancel_reason = principal.user_id, reason.strip()[:200]
    await session.flush()
    await record_event(session, "request.cancelled", {"request_id": request.id, "user_id": principal.user_id,
                                                      "volunteer_id": request.volunteer_id,
                                                      "reason": request.cancel_reason})
    return request


async def periodic_check(session: AsyncSession, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind of visits the day and the hour before, expire requests whose windows ended unaccepted, escalate
    slow ones, close unrated ones (idempotent)."""
    now = now or utcnow()
    counts = {"expired": 0, "escalated": 0, "closed": 0,
              "reminded": await reminders.send_due_reminders(session, now=now)}
    for request in await repository.windows_ended(session, now=now):
        request.status, request.closed_at = RequestStatus.EXPIRED, now
        await record_event(session, "request.expired", {"request_id": request.id})
        counts["expired"] += 1
    for community_id in await repository.communities_waiting(session):
        policy = await repository.policy(session, community_id)
        for level in (0, 1):
            before = now - dt.timedelta(minutes=policy.escalate_after_minutes * (level + 1))
            for request in await repository.due_for_escalation(session, community_id=community_id, level=level,
                                                               created_before=before):
                request.escalation_level = level + 1
                await record_event(session, "request.escalated", {"request_id": request.id, "level": level + 1})
                counts["escalated"] += 1
    for request in await repository.unrated_since(session, before=now - dt.timedelta(days=RATING_DAYS)):
        request.status, request.closed_at = RequestStatus.COMPLETED, now
        await record_event(session, "request.completed", {"request_id": request.id})
        counts["closed"] += 1
    await session.flush()
    return counts
