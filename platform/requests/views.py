"""The requests domain's front door, read side: one request, the 接单大厅, the 派单台 queue, my tasks, my requests.

Address and phone are filled in only where access.sees_contact allows; the hall shows grid and building.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel import direct
from servicebank.kernel.clock import utcnow
from servicebank.kernel.text import mask_name
from servicebank.requests import access, repository
from servicebank.requests.models import Household, RequestStatus
from servicebank.requests.schemas import RatingOut, RequestOut

MAX_LIMIT = 200
MINE = (RequestStatus.ACCEPTED, RequestStatus.IN_SERVICE, RequestStatus.AWAITING_RATING)


async def outs(session: AsyncSession, principal: Principal, rows: Sequence[Row | SimpleNamespace]) -> list[RequestOut]:
    """Listed rows (repository.listing) as the caller may see them. The community's policy is read only where it
    decides (the assigned volunteer after the service): the hall and the organisers' queue need no policy."""
    if not rows:
        return []
    policies = {c: await repository.policy(session, c) for c in sorted(
        {r.community_id for r in rows if access.contact_without_policy(principal, r, r.resident_volunteer_id) is None})}
    now = utcnow()
    found = []
    for r in rows:
        contact = access.sees_contact(principal, r, r.resident_volunteer_id, policies.get(r.community_id), now)
        found.append(RequestOut(
            id=r.id, community_id=r.community_id, grid_id=r.grid_id, grid_name=r.grid_name,
            household_id=r.household_id, category=r.category, description=r.description, urgency=r.urgency,
            windows=r.time_windows, status=r.status, payer=r.payer, estimated_minutes=r.estimated_minutes,
            created_at=r.created_at, on_behalf=r.on_behalf,
            resident=r.resident_name if contact else mask_name(r.resident_name), building=r.building,
            address=f"{r.grid_name} {r.building} {r.unit}".strip() if contact else None,
            phone=r.phone if contact else None, volunteer_id=r.volunteer_id, decline_reason=r.decline_reason,
            cancel_reason=r.cancel_reason, accepted_at=r.accepted_at, started_at=r.started_at,
            finished_at=r.finished_at, posted_minutes=r.posted_minutes, posted_points=r.posted_points,
            paid_by_payer=r.paid_by_payer, team_id=r.team_id,
            rating=RatingOut(stars=r.stars, tags=list(r.tags or []), comment=r.comment, on_behalf=r.rating_on_behalf,
                             review_open=r.review_open) if r.stars is not None else None))
    return found


async def one(session: AsyncSession, *, principal: Principal, request_id: int) -> RequestOut:
    request = await access.get_request(session, request_id)
    household = await session.get(Household, request.household_id)
    assert household is not None
    teams = await repository.team_ids_of(session, principal.volunteer_id) \
        if request.team_id is not None and principal.volunteer_id is not None else []
    access.require_read(principal, request, household, teams)
    return await shown(session, principal=principal, request_id=request_id)


async def shown(session: AsyncSession, *, principal: Principal, request_id: int) -> RequestOut:
    """A request the caller has just changed (so may read), as the API answers with it."""
    row = await repository.listed(session, request_id)
    if row is None:
        raise access.missing()
    [out] = await outs(session, principal, [row])
    return out


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def _hall_caller(principal: Principal) -> tuple[int, int]:
    """The hall's community and volunteer: the caller's, an active volunteer's (403 otherwise)."""
    principal.require_active_volunteer()
    community_id, volunteer_id = principal.volunteer_community_id, principal.volunteer_id
    assert community_id is not None and volunteer_id is not None  # an active volunteer is a member of their community
    return community_id, volunteer_id


async def hall(session: AsyncSession, *, principal: Principal, limit: int = 50, offset: int = 0) -> list[RequestOut]:
    """接单大厅: the open requests of the volunteer's community (those given to a team only for its members), most
    urgent and oldest first."""
    community_id, volunteer_id = _hall_caller(principal)
    rows = await repository.hall(session, community_id, volunteer_id, limit=_limit(limit), offset=max(0, offset))
    return await outs(session, principal, rows)


async def hall_json(session: AsyncSession, *, principal: Principal, limit: int = 50, offset: int = 0) -> str | None:
    """`hall` as the API's JSON text, written by PostgreSQL (page_json.py); None where only `hall` can (SQLite)."""
    community_id, volunteer_id = _hall_caller(principal)
    if not direct.sends_direct(session):
        return None
    return await repository.hall_json(session, community_id, volunteer_id, works_in=principal.works_in(community_id),
                                      limit=_limit(limit), offset=max(0, offset))


def _queue_states(principal: Principal, community_id: int, statuses: list[str] | None) -> list[str]:
    principal.require_manager(community_id)
    return [s for s in (statuses or []) if s in RequestStatus.ALL] or list(RequestStatus.WAITING)


async def queue(session: AsyncSession, *, principal: Principal, community_id: int, statuses: list[str] | None = None,
                limit: int = 50, offset: int = 0) -> list[RequestOut]:
    """派单台: the requests waiting for the organiser (review, dispatch, the hall), most urgent and oldest first."""
    wanted = _queue_states(principal, community_id, statuses)
    rows = await repository.in_states(session, community_id, wanted, limit=_limit(limit), offset=max(0, offset))
    return await outs(session, principal, rows)


async def queue_json(session: AsyncSession, *, principal: Principal, community_id: int,
                     statuses: list[str] | None = None, limit: int = 50, offset: int = 0) -> str | None:
    """`queue` as the API's JSON text, written by PostgreSQL (page_json.py); None where only `queue` can (SQLite)."""
    wanted = _queue_states(principal, community_id, statuses)
    if not direct.sends_direct(session):
        return None
    return await repository.in_states_json(session, community_id, wanted, limit=_limit(limit), offset=max(0, offset))


async def my_tasks(session: AsyncSession, *, principal: Principal) -> list[RequestOut]:
    """The volunteer's accepted, running and just-served requests."""
    volunteer_id = principal.require_volunteer()
    return await outs(session, principal, await repository.for_volunteer(session, volunteer_id, MINE))


async def for_household(session: AsyncSession, *, principal: Principal, household_id: int) -> list[RequestOut]:
    """A household's requests, newest first: the resident's own list, or the 网格员's view of a household."""
    household = await access.get_household(session, principal, household_id)
    return await outs(session, principal, await repository.for_households(session, [household.id]))


async def mine(session: AsyncSession, *, principal: Principal) -> list[RequestOut]:
    """The requests of the households whose resident the caller is."""
    if principal.volunteer_id is None:
        return []
    households = await repository.households_of_volunteer(session, principal.volunteer_id)
    return await outs(session, principal, await repository.for_households(session, [h.id for h in households]))
