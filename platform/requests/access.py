"""Who may read and change which requests and households: written once, used by the API, pages and tasks.

- Organisers (and street/platform admins) of the community: everything (review, dispatch, cancel, policy).
- Staff of the community (organisers and team leaders, who act as 网格员/楼栋长): households, 代下单,
  rating on a resident's behalf, starting and finishing for a volunteer without a phone.
- The resident (a volunteer login linked to the household): their own household's requests.
- Volunteers of the community: the 接单大厅 (no address or phone), their own tasks.
- The assigned volunteer sees the address and phone from acceptance until a few days after the service.
Everyone else gets 404 `request_not_found`: nothing says the request exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import Forbidden, NotFound
from servicebank.requests.models import Household, RequestPolicy, RequestStatus, ServiceRequest


def _missing() -> NotFound:
    return NotFound("No such request.", code="request_not_found")


def missing() -> NotFound:
    """The one answer for a request that does not exist or that the caller may not know of."""
    return _missing()


async def get_request(session: AsyncSession, request_id: int) -> ServiceRequest:
    found = await session.get(ServiceRequest, request_id)
    if found is None:
        raise _missing()
    return found


async def get_household(session: AsyncSession, principal: Principal, household_id: int) -> Household:
    """A household the caller may see: staff of its community, or its own resident."""
    found = await session.get(Household, household_id)
    if found is None or not (principal.works_in(found.community_id)
                             or (principal.volunteer_id is not None and found.volunteer_id == principal.volunteer_id)):
        raise NotFound("No such household.", code="household_not_found")
    return found


def is_resident(principal: Principal, household: Household) -> bool:
    return principal.volunteer_id is not None and household.volunteer_id == principal.volunteer_id


def may_read(principal: Principal, request: ServiceRequest, household: Household,
             team_ids: Collection[int] = ()) -> bool:
    """Staff of the community, the resident, the assigned volunteer, and community volunteers while it is open
    (to them: a request given to a team is open to its members only, `team_ids` being the caller's teams)."""
    return (principal.works_in(request.community_id) or is_resident(principal, household)
            or (principal.volunteer_id is not None and request.volunteer_id == principal.volunteer_id)
            or (request.status == RequestStatus.OPEN and principal.volunteer_community_id == request.community_id
                and (request.team_id is None or request.team_id in team_ids)))


def require_read(principal: Principal, request: ServiceRequest, household: Household,
                 team_ids: Collection[int] = ()) -> None:
    if not may_read(principal, request, household, team_ids):
        raise _missing()


def require_manager(principal: Principal, request: ServiceRequest) -> None:
    """Review, dispatch, policy: the community's organisers; others linked to it 403, outsiders 404."""
    if principal.manages(request.community_id):
        return
    if principal.belongs_to(request.community_id):
        raise Forbidden("Only the community's organisers can do this.", code="organiser_required")
    raise _missing()


def require_staff(principal: Principal, community_id: int) -> None:
    """Households and 代下单: organisers and team leaders (网格员/楼栋长) of the community."""
    if principal.works_in(community_id):
        return
    if principal.belongs_to(community_id):
        raise Forbidden("Only organisers and grid workers can do this.", code="staff_required")
    raise NotFound("No such community.", code="community_not_found")


def require_acceptor(principal: Principal, request: ServiceRequest) -> int:
    """An active volunteer of the request's community; another community's volunteer learns nothing (404)."""
    volunteer_id = principal.require_active_volunteer()
    if principal.volunteer_community_id != request.community_id:
        raise _missing()
    return volunteer_id


def require_server(principal: Principal, request: ServiceRequest) -> None:
    """Start and finish: the assigned volunteer, or staff of the community on their behalf."""
    if principal.volunteer_id is not None and principal.volunteer_id == request.volunteer_id:
        return
    if principal.works_in(request.community_id):
        return
    if principal.belongs_to(request.community_id):
        raise Forbidden("Only the volunteer who took this request can do this.", code="request_not_yours")
    raise _missing()


def require_rater(principal: Principal, request: ServiceRequest, household: Household) -> bool:
    """The resident, or staff of the community on their behalf (returns True for on-behalf)."""
    if is_resident(principal, household):
        return False
    if principal.works_in(request.community_id):
        return True
    if principal.belongs_to(request.community_id):
        raise Forbidden("Only the resident, or a grid worker for them, can rate this request.",
                        code="request_not_yours")
    raise _missing()


def require_canceller(principal: Principal, request: ServiceRequest, household: Household) -> None:
    """The resident (their own request) or staff of the community."""
    if is_resident(principal, household) or principal.works_in(request.community_id):
        return
    if principal.belongs_to(request.community_id):
        raise Forbidden("Only the resident or the community can cancel this request.", code="request_not_yours")
    raise _missing()


def sees_contact(principal: Principal, request: Any, resident_volunteer_id: int | None, policy: RequestPolicy | None,
                 now: dt.datetime) -> bool:
    """Address and phone: staff and the resident always; the assigned volunteer from acceptance until
    `contact_days_after` days after the service ends; nobody else (the hall shows only grid and building).
    `policy` may be None where contact_without_policy decides."""
    decided = contact_without_policy(principal, request, resident_volunteer_id)
    if decided is not None:
        return decided
    assert policy is not None, "the assigned volunteer after the service: the policy's days decide"
    return now <= request.finished_at + dt.timedelta(days=policy.contact_days_after)


def contact_without_policy(principal: Principal, request: Any, resident_volunteer_id: int | None) -> bool | None:
    """Whether the caller sees address and phone when the community's policy plays no part; None when it does
    (the assigned volunteer after the service ended), so lists read the policy only for such rows."""
    if principal.works_in(request.community_id) or (
            principal.volunteer_id is not None and principal.volunteer_id == resident_volunteer_id):
        return True
    if principal.volunteer_id is None or principal.volunteer_id != request.volunteer_id:
        return False
    if request.status not in RequestStatus.CONTACT_VISIBLE:
        return False
    if request.finished_at is None:
        return True
    return None
