"""Who may redeem what: community, hours thresholds, monthly limits and stock, checked before any write."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.errors import Conflict, Forbidden, NotFound
from servicebank.ledger.transactions import policy_for
from servicebank.stores import repository
from servicebank.stores.models import Store, StoreItem
from servicebank.volunteers.models import Volunteer, VolunteerStatus


def local_month(now: dt.datetime, timezone: str) -> str:
    """The local calendar month ("2026-11") a moment falls in."""
    return now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


@dataclasses.dataclass(frozen=True)
class Standing:
    """What the till needs to know about the volunteer at the counter."""

    volunteer: Volunteer
    service_minutes: int
    community_min_minutes: int
    balance: int


async def volunteer_at_store(session: AsyncSession, *, volunteer_id: int, store: Store) -> Standing:
    """The volunteer named by a code, who must be an active volunteer of the store's community."""
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("The code names no volunteer.", code="volunteer_not_found")
    if volunteer.community_id != store.community_id:
        raise Forbidden("This volunteer belongs to another community; points are spent in the volunteer's own "
                        "community's stores.", code="volunteer_not_in_community")
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise Forbidden("This volunteer is not active (pending approval, suspended or left) and cannot redeem "
                        "points now.", code="volunteer_not_active")
    policy = await policy_for(session, store.community_id)
    return Standing(volunteer=volunteer, service_minutes=await repository.service_minutes(session, volunteer.id),
                    community_min_minutes=policy.min_service_minutes_to_spend,
                    balance=await repository.volunteer_balance(session, volunteer.id))


def required_minutes(standing: Standing, store: Store, item: StoreItem | None = None) -> int:
    """The strictest of the community's, the store's and the item's hours thresholds."""
    return max(standing.community_min_minutes, store.min_service_minutes, item.min_service_minutes if item else 0)


def hours_problem(standing: Standing, store: Store, item: StoreItem | None = None) -> Forbidden | None:
    needed = required_minutes(standing, store, item)
    if standing.service_minutes >= needed:
        return None
    what = f"“{item.name}”" if item is not None and item.min_service_minutes > store.min_service_minutes else "this store"
    return Forbidden(f"Redeeming at {what} needs {_hours(needed)} hours of service; this volunteer has "
                     f"{_hours(standing.service_minutes)} hours recorded.", code="service_hours_too_few",
                     required_minutes=needed, served_minutes=standing.service_minutes)


def item_problem(item: StoreItem, *, quantity: int, used_this_month: int) -> Conflict | None:
    """Out of stock or over the monthly limit, judged on what is known before the guarded writes."""
    if item.stock is not None and item.stock < quantity:
        return Conflict(f"Only {item.stock} {item.unit} of “{item.name}” left.", code="out_of_stock",
                        item_id=item.id, available=item.stock)
    if item.monthly_limit is not None and used_this_month + quantity > item.monthly_limit:
        left = max(0, item.monthly_limit - used_this_month)
        return Conflict(f"“{item.name}” is limited to {item.monthly_limit} {item.unit} per volunteer per month; "
                        f"{left} left this month.", code="monthly_limit_exceeded", item_id=item.id, remaining=left)
    return None


def remaining_this_month(item: StoreItem, used: int) -> int | None:
    return None if item.monthly_limit is None else max(0, item.monthly_limit - used)
