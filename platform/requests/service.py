"""The requests domain's front door, part one: categories, households, asking (点单), reviewing and dispatching.

Keyword-only arguments; flush, never commit; every state change records its outbox event in the same
transaction. Serving, paying, rating and cancelling are in serving.py.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.family.models import FamilyLink, FamilyLinkStatus
from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import local_date
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.ledger import transactions as ledger
from servicebank.ledger.models import Account, AccountKind
from servicebank.org.models import Grid
from servicebank.requests import access, repository
from servicebank.requests.models import (
    Household,
    Payer,
    RequestCategory,
    RequestPolicy,
    RequestStatus,
    ServiceRequest,
    Urgency,
)
from servicebank.requests.schemas import HouseholdIn, PolicyIn, RequestIn
from servicebank.volunteers.models import Volunteer, VolunteerStatus

MAX_WINDOWS = 3


def wrong_state(request: ServiceRequest) -> Conflict:
    return Conflict("This request has moved on; reload the page to see where it stands.", code="request_wrong_state",
                    request_status=request.status)


async def categories(session: AsyncSession, *, principal: Principal, community_id: int) -> list[RequestCategory]:
    """The community's categories (the defaults are added the first time they are asked for)."""
    principal.require_member(community_id)
    found = await repository.categories(session, community_id)
    if not found and not await repository.categories(session, community_id, active_only=False):
        await repository.seed_categories(session, community_id)
        found = await repository.categories(session, community_id)
    return found


async def add_household(session: AsyncSession, *, principal: Principal, data: HouseholdIn) -> Household:
    """A household record kept by the grid's staff (name, building/unit, optional phone)."""
    access.require_staff(principal, data.community_id)
    grid = await session.get(Grid, data.grid_id)
    if grid is None or grid.community_id != data.community_id:
        raise InvalidInput("Choose a grid of this community.", code="grid_not_found")
    if not data.name.strip() or not data.building.strip():
        raise InvalidInput("A household needs a name and a building.", code="household_incomplete")
    if (data.latitude is None) != (data.longitude is None):
        raise InvalidInput("Give both latitude and longitude, or neither.", code="household_position_invalid")
    if data.volunteer_id is not None:
        resident = await session.get(Volunteer, data.volunteer_id)
        if resident is None or resident.community_id != data.community_id:
            raise NotFound("We could not find this volunteer.", code="volunteer_not_found")
    household = Household(community_id=data.community_id, grid_id=data.grid_id, building=data.building.strip()[:40],
                          unit=data.unit.strip()[:40], name=data.name.strip()[:64],
                          phone=(data.phone or "").strip()[:20] or None, volunteer_id=data.volunteer_id,
                          created_by_user_id=principal.user_id, latitude=data.latitude, longitude=data.longitude)
    session.add(household)
    await session.flush()
    return household


async def households(session: AsyncSession, *, principal: Principal, community_id: int,
                     search: str | None = None) -> list[Household]:
    """The staff's household list; a resident gets their own household(s)."""
    if principal.works_in(community_id):
        return await repository.households(session, community_id, search=search)
    principal.require_member(community_id)
    if principal.volunteer_id is None:
        return []
    return [h for h in await repository.households_of_volunteer(session, principal.volunteer_id)
            if h.community_id == community_id]


async def buildings(session: AsyncSession, *, principal: Principal, community_id: int) -> list[str]:
    """The buildings (楼栋) of the community's households, for finding a household with one tap (staff)."""
    access.require_staff(principal, community_id)
    return await repository.buildings(session, community_id)


async def get_policy(session: AsyncSession, *, principal: Principal, community_id: int) -> RequestPolicy:
    principal.require_member(community_id)
    return await repository.policy(session, community_id)


async def set_policy(session: AsyncSession, *, principal: Principal, community_id: int, data: PolicyIn) -> RequestPolicy:
    """Escalation time, the pool's monthly limit per household, how long the volunteer keeps the contact."""
    principal.require_manager(community_id)
    if not (10 <= data.escalate_after_minutes <= 10080 and 0 <= data.pool_monthly_limit <= 100_000
            and 0 <= data.contact_days_after <= 30
            and (data.geofence_metres == 0 or 20 <= data.geofence_metres <= 5000)):
        raise InvalidInput("Escalation 10 min to 7 days, pool limit 0 to 100000, contact 0 to 30 days, "
                           "geofence 0 (off) or 20 to 5000 m.",
                           code="request_policy_invalid")
    policy = await session.get(RequestPolicy, community_id)
    if policy is None:
        policy = RequestPolicy(community_id=community_id)
        session.add(policy)
    policy.escalate_after_minutes = data.escalate_after_minutes
    policy.pool_monthly_limit = data.pool_monthly_limit
    policy.contact_days_after = data.contact_days_after
    policy.geofence_metres = data.geofence_metres
    await session.flush()
    return policy


def _windows(data: RequestIn, now: dt.datetime) -> list[list[str]]:
    if not 1 <= len(data.windows) <= MAX_WINDOWS:
        raise InvalidInput(f"Give 1 to {MAX_WINDOWS} preferred time windows.", code="request_window_invalid")
    windows = []
    for w in data.windows:
        start, end = (t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (w.start, w.end))
        if end <= start:
            raise InvalidInput("A time window must end after it starts.", code="request_window_invalid")
        if end <= now:
            raise InvalidInput("This time window is already over; choose a time from now on.",
                               code="request_window_past")
        windows.append([start.astimezone(dt.UTC).isoformat(), end.astimezone(dt.UTC).isoformat()])
    return sorted(windows)


async def _payer_volunteer(session: AsyncSession, data: RequestIn, household: Household) -> int | None:
    """The volunteer whose coins pay (self, family), checked: linked to the resident, active, holding enough."""
    if data.payer == Payer.SELF:
        if household.volunteer_id is None:
            raise InvalidInput("This resident has no time-bank account; choose another payer.",
                               code="payer_has_no_account")
        return household.volunteer_id
    if data.payer_volunteer_id is None or household.volunteer_id is None:
        raise InvalidInput("Choose the family member who pays; they must be linked to the resident.",
                           code="payer_not_family")
    low, high = sorted((data.payer_volunteer_id, household.volunteer_id))
    link = await session.scalar(select(FamilyLink.id).where(FamilyLink.open_pair == f"{low}:{high}",
                                                            FamilyLink.status == FamilyLinkStatus.CONFIRMED))
    if link is None:
        raise Forbidden("Only a family member with a confirmed family link can pay for the resident.",
                        code="payer_not_family")
    return data.payer_volunteer_id


async def _check_payer(session: AsyncSession, data: RequestIn, household: Household) -> int | None:
    if data.payer not in Payer.ALL:
        raise InvalidInput("Choose who pays: own coins, a family member, the community pool or nobody.",
                           code="request_payer_invalid")
    if data.payer == Payer.NONE:
        return None
    if data.payer == Payer.POOL:
        policy = await repository.policy(session, household.community_id)
        month = local_date(session, utcnow()).strftime("%Y-%m")
        if await repository.pool_used(session, household.id, month) >= policy.pool_monthly_limit:
            raise Conflict("The community pool has paid this household's monthly limit already.",
                           code="pool_monthly_limit", limit=policy.pool_monthly_limit)
        return None
    payer_id = await _payer_volunteer(session, data, household)
    assert payer_id is not None
    status = await session.scalar(select(Volunteer.status).where(Volunteer.id == payer_id))
    if status != VolunteerStatus.ACTIVE:
        raise Forbidden("The paying member's account is not active.", code="payer_not_active")
    await ledger.check_may_spend(session, volunteer_id=payer_id)
    balance = int(await session.scalar(select(Account.balance).where(
        Account.kind == AccountKind.VOLUNTEER, Account.owner_id == payer_id)) or 0)
    if balance < data.estimated_minutes:
        raise Conflict(f"The payer holds {balance} time coins; about {data.estimated_minutes} are needed.",
                       code="payer_balance_too_low", needed=data.estimated_minutes, available=balance)
    return payer_id


async def create(session: AsyncSession, *, principal: Principal, data: RequestIn) -> ServiceRequest:
    """点单: the resident for their household, or staff of its community on the resident's behalf (代下单)."""
    household = await access.get_household(session, principal, data.household_id)
    on_behalf = not access.is_resident(principal, household)
    if not on_behalf:
        principal.require_active_volunteer()
    category = await session.get(RequestCategory, data.category_id)
    if category is None or category.community_id != household.community_id or not category.is_active:
        raise InvalidInput("Choose one of the community's kinds of help.", code="request_category_unknown")
    description = data.description.strip()
    if not 1 <= len(description) <= 500:
        raise InvalidInput("Say in a few words what help is needed.", code="request_description_required")
    if data.urgency not in Urgency.ALL:
        raise InvalidInput("Urgency is 0 (normal), 1 (soon) or 2 (urgent).", code="request_urgency_invalid")
    if not 15 <= data.estimated_minutes <= 720:
        raise InvalidInput("The estimated time is 15 minutes to 12 hours.", code="request_estimate_invalid")
    now = utcnow()
    windows = _windows(data, now)
    payer_id = await _check_payer(session, data, household)
    request = ServiceRequest(
        community_id=household.community_id, grid_id=household.grid_id, household_id=household.id,
        category_id=category.id, description=description, urgency=data.urgency, time_windows=windows,
        window_end=max(dt.datetime.fromisoformat(end) for _, end in windows), estimated_minutes=data.estimated_minutes,
        payer=data.payer, payer_volunteer_id=payer_id, status=RequestStatus.PENDING_REVIEW,
        created_by_user_id=principal.user_id, on_behalf=on_behalf, created_at=now)
    session.add(request)
    await session.flush()
    await record_event(session, "request.created", {"request_id": request.id, "user_id": principal.user_id})
    return request
