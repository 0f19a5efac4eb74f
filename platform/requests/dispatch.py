"""The requests domain's front door, part two: review (审核), dispatch (派单) and accept (接单).

Every transition locks the request row first (or, for accepting, is one guarded UPDATE), checks the state
it starts from, and records its outbox event in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import local_date
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.requests import access, fast_accept, hooks, reminders, repository, views
from servicebank.requests.models import Household, RequestStatus, ServiceRequest
from servicebank.requests.schemas import RequestOut
from servicebank.requests.service import wrong_state
from servicebank.volunteers.models import Team, Volunteer, VolunteerStatus


async def locked(session: AsyncSession, request_id: int) -> ServiceRequest:
    """The request with its row locked (404 when there is none)."""
    found = await repository.lock(session, request_id)
    if found is None:
        raise access.missing()
    return found


def _not_own(request: ServiceRequest, household: Household, volunteer_id: int) -> None:
    """A volunteer never serves (and earns from) a request of their own household or paid with their coins."""
    if volunteer_id in (household.volunteer_id, request.payer_volunteer_id):
        raise Forbidden("A volunteer cannot take a request of their own household or paid with their own coins.",
                        code="request_own")


async def _refusals(session: AsyncSession, request: ServiceRequest, *, volunteer_id: int,
                    visit_at: dt.datetime | None, now: dt.datetime) -> None:
    """What other domains refuse before the volunteer takes the request (records: cover the category requires, on
    the visit's day, or today when the resident gave no time)."""
    await hooks.acceptance_refusals.answers(session, request=request, volunteer_id=volunteer_id,
                                            on=local_date(session, visit_at or now))


async def review(session: AsyncSession, *, principal: Principal, request_id: int, approve: bool,
                 reason: str | None) -> ServiceRequest:
    """Approve (→ 待派单) or decline with a reason (→ 已驳回)."""
    request = await locked(session, request_id)
    access.require_manager(principal, request)
    if request.status != RequestStatus.PENDING_REVIEW:
        raise wrong_state(request)
    now = utcnow()
    request.reviewed_by_user_id, request.reviewed_at = principal.user_id, now
    if approve:
        request.status = RequestStatus.AWAITING_DISPATCH
        await session.flush()
        await record_event(session, "request.approved", {"request_id": request.id, "user_id": principal.user_id})
        return request
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput("Please give a reason; the resident will be told.", code="reason_required")
    request.status, request.decline_reason, request.closed_at = RequestStatus.DECLINED, reason[:200], now
    await session.flush()
    await record_event(session, "request.declined", {"request_id": request.id, "user_id": principal.user_id,
                                                     "reason": reason[:200]})
    return request


async def dispatch(session: AsyncSession, *, principal: Principal, request_id: int, volunteer_id: int | None,
                   open_to_hall: bool, team_id: int | None = None) -> ServiceRequest:
    """Assign to a volunteer of the community (→ 已接单), or open it (→ 待接单) to a team of the community (any
    member may accept it, exactly one wins) or to the whole 接单大厅."""
    request = await locked(session, request_id)
    access.require_manager(principal, request)
    if request.status not in RequestStatus.UNACCEPTED:
        raise wrong_state(request)
    if sum((volunteer_id is not None, team_id is not None, bool(open_to_hall))) != 1:
        raise InvalidInput("Choose a volunteer, a team, or open the request to the hall.",
                           code="request_dispatch_target")
    now = utcnow()
    if volunteer_id is not None:
        volunteer = await session.get(Volunteer, volunteer_id)
        if volunteer is None or volunteer.community_id != request.community_id \
                or volunteer.status != VolunteerStatus.ACTIVE:
            raise NotFound("We could not find this volunteer in the community.", code="volunteer_not_found")
        household = await session.get(Household, request.household_id)
        assert household is not None
        _not_own(request, household, volunteer_id)
        visit_at = reminders.visit_start(request.time_windows, now)
        await _refusals(session, request, volunteer_id=volunteer_id, visit_at=visit_at, now=now)
        request.status, request.volunteer_id, request.accepted_at = RequestStatus.ACCEPTED, volunteer_id, now
        request.assigned_by_user_id, request.team_id = principal.user_id, None
        request.visit_at = visit_at
        await session.flush()
        await record_event(session, "request.assigned", {"request_id": request.id, "user_id": principal.user_id,
                                                         "volunteer_id": volunteer_id})
        return request
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or team.community_id != request.community_id:
            raise NotFound("We could not find this team in the community.", code="team_not_found")
    if request.status == RequestStatus.OPEN and request.team_id == team_id:
        return request
    request.status, request.opened_at, request.team_id = RequestStatus.OPEN, now, team_id
    await session.flush()
    await record_event(session, "request.opened", {"request_id": request.id, "user_id": principal.user_id,
                                                   "team_id": team_id})
    return request


async def accept_in_one(session: AsyncSession, *, bearer: str, request_id: int) -> RequestOut | None:
    """接单 of the plain case in one statement (fast_accept.py), answered as the API answers `accept`; None when it
    did not take the request (not PostgreSQL, no live login, or any check of `accept` not met): call `accept`,
    which says why or accepts with the other domains' rules."""
    if not fast_accept.available(session):
        return None
    taken = await fast_accept.accept(session, bearer=bearer, request_id=request_id, now=utcnow())
    if taken is None:
        return None
    principal, row = taken
    [shown] = await views.outs(session, principal, [row])
    return shown


async def accept(session: AsyncSession, *, principal: Principal, request_id: int) -> ServiceRequest:
    """接单 from the hall: of two volunteers accepting at once exactly one wins; the other gets 409."""
    request = await access.get_request(session, request_id)
    volunteer_id = access.require_acceptor(principal, request)
    if request.team_id is not None and request.team_id not in await repository.team_ids_of(session, volunteer_id):
        raise Forbidden("This request was given to a team you are not in.", code="request_team_only")
    household = await session.get(Household, request.household_id)
    assert household is not None
    _not_own(request, household, volunteer_id)
    now = utcnow()
    visit_at = reminders.visit_start(request.time_windows, now)
    await _refusals(session, request, volunteer_id=volunteer_id, visit_at=visit_at, now=now)
    if not await repository.take_open(session, request.id, volunteer_id=volunteer_id, now=now, visit_at=visit_at):
        await session.refresh(request)
        if request.status == RequestStatus.ACCEPTED or request.volunteer_id is not None:
            raise Conflict("Another volunteer has just taken this request. Thank you all the same!",
                           code="request_already_taken")
        raise wrong_state(request)
    # The row now says what the UPDATE wrote: tell the session without reading it back (nothing to flush).
    for name, value in (("status", RequestStatus.ACCEPTED), ("volunteer_id", volunteer_id), ("accepted_at", now),
                        ("visit_at", visit_at)):
        set_committed_value(request, name, value)
    await record_event(session, "request.accepted", {"request_id": request.id, "user_id": principal.user_id,
                                                     "volunteer_id": volunteer_id})
    return request
