"""The community's optional geofence on serving: starting or finishing farther from the household's door than
the policy's radius is refused. Off while the radius is 0 or the household has no position."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.checkins.rules import distance_m
from servicebank.kernel.errors import Forbidden, InvalidInput
from servicebank.requests import repository
from servicebank.requests.models import Household, ServiceRequest

# (latitude, longitude) as the phone gave it, or None when it gave none.
Position = tuple[float, float] | None


async def check(session: AsyncSession, request: ServiceRequest, household: Household, position: Position) -> None:
    """Refuse a start or finish away from the door when the community asks for it (nothing is written)."""
    if household.latitude is None or household.longitude is None:
        return
    radius = (await repository.policy(session, request.community_id)).geofence_metres
    if not radius:
        return
    if position is None:
        raise InvalidInput("This community checks that the service happens at the resident's home. Please allow "
                           "this page to use your position and try again.", code="request_position_required")
    distance = distance_m(position[0], position[1], household.latitude, household.longitude)
    if distance > radius:
        raise Forbidden(f"You are about {distance} m from the resident's home; starting and finishing work within "
                        f"{radius} m.", code="request_too_far", distance_m=distance, radius_m=radius)
