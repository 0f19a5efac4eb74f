"""The household's printed 门牌码: a signed, never-expiring code on the door that the assigned volunteer scans to
start and finish the service there, and the household's position for the community's optional geofence.

A token is `h.<household id>.<version>.<signature>`, signed under its own purpose (no kiosk or card signature
passes as one). Reissuing bumps Household.door_code_version and so revokes every earlier print at once. The
code names the household only: it opens nothing by itself, the scanner must be the volunteer the request is
assigned to (scanning.py).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit
from servicebank.checkins.tokens import TokenError, signature
from servicebank.config import Settings
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.keyring import signed_by_any
from servicebank.requests import access
from servicebank.requests.models import Household

PREFIX = "h"
PURPOSE = "door"
MAX_LENGTH = 128


@dataclasses.dataclass(frozen=True)
class DoorCode:
    household_id: int
    version: int
    token: str
    url: str  # what the printed QR holds: a phone camera opens the door page


def issue(settings: Settings, household: Household) -> DoorCode:
    """The household's current 门牌码."""
    body = f"{PREFIX}.{household.id}.{household.door_code_version}"
    token = f"{body}.{signature(settings.secret_key, PURPOSE, body)}"
    return DoorCode(household_id=household.id, version=household.door_code_version, token=token,
                    url=f"{settings.public_url.rstrip('/')}/d/{token}")


def verify(settings: Settings, token: str) -> tuple[int, int]:
    """(household id, version) of a genuine 门牌码; 400 `door_code_invalid` otherwise (as a forged card is)."""
    token = (token or "").strip().rsplit("/", 1)[-1]  # the whole URL the camera read is fine too
    parts = token.split(".") if len(token) <= MAX_LENGTH else []
    if len(parts) != 4 or parts[0] != PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
        raise invalid()
    body = token.rpartition(".")[0]
    if not signed_by_any(parts[3], settings.signing_keys(), lambda key: signature(key, PURPOSE, body)):
        raise invalid()
    return int(parts[1]), int(parts[2])


def invalid() -> TokenError:
    return TokenError("This is not a household's door code. Please scan the code on the resident's door.",
                      code="door_code_invalid")


async def _staff_household(session: AsyncSession, principal: Principal, household_id: int) -> Household:
    """A household of a community the caller works in (organisers, 网格员); others learn nothing (404)."""
    household = await session.get(Household, household_id)
    if household is None or not principal.belongs_to(household.community_id):
        raise NotFound("No such household.", code="household_not_found")
    access.require_staff(principal, household.community_id)
    return household


async def get(session: AsyncSession, *, settings: Settings, principal: Principal, household_id: int) -> DoorCode:
    """The 门牌码 to print: staff of the household's community."""
    return issue(settings, await _staff_household(session, principal, household_id))


async def reissue(session: AsyncSession, *, settings: Settings, principal: Principal, household_id: int,
                  reason: str) -> DoorCode:
    """A new 门牌码 (the old print is lost or was copied): every earlier print stops working; audited."""
    household = await _staff_household(session, principal, household_id)
    if len(reason.strip()) < 2:
        raise InvalidInput("Please say why the door code is reissued.", code="reason_required")
    before = household.door_code_version
    household.door_code_version = before + 1
    await session.flush()
    await record_audit(session, actor=principal, action="household.door_code_reissue", entity_type="household",
                       entity_id=household.id, community_id=household.community_id,
                       before={"door_code_version": before}, after={"door_code_version": before + 1},
                       reason=reason.strip()[:200])
    return issue(settings, household)


async def set_position(session: AsyncSession, *, principal: Principal, household_id: int, latitude: float | None,
                       longitude: float | None) -> Household:
    """Where the household's door is (both, or neither to forget it): staff of its community."""
    household = await _staff_household(session, principal, household_id)
    if (latitude is None) != (longitude is None) or (
            latitude is not None and longitude is not None
            and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)):
        raise InvalidInput("Give both latitude (-90 to 90) and longitude (-180 to 180), or neither.",
                           code="household_position_invalid")
    household.latitude, household.longitude = latitude, longitude
    await session.flush()
    return household


async def household(session: AsyncSession, *, principal: Principal, household_id: int) -> Household:
    """The household whose 门牌码 staff print (the same rule as the code itself)."""
    return await _staff_household(session, principal, household_id)
