"""Serving by scanning, at the resident's door: the assigned volunteer scans the household's printed 门牌码, or
the 网格员 scans the volunteer's card. The first scan starts the task, the next one finishes it; both go
through the same start and finish as the task's buttons (serving.py: the hours rules and the one ledger posting),
with the community's geofence checked against the scanning phone's position."""

from __future__ import annotations

import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.checkins import tokens
from servicebank.config import Settings
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.requests import access, door_code, geofence, repository, serving
from servicebank.requests.dispatch import locked
from servicebank.requests.geofence import Position
from servicebank.requests.models import Household, RequestStatus, ServedVia, ServiceRequest
from servicebank.volunteers.models import Volunteer

STARTED, FINISHED = "started", "finished"


@dataclasses.dataclass(frozen=True)
class Scanned:
    request: ServiceRequest
    step: str  # STARTED or FINISHED


async def _door_household(session: AsyncSession, settings: Settings, token: str) -> Household:
    household_id, version = door_code.verify(settings, token)
    household = await session.get(Household, household_id)
    if household is None:
        raise door_code.invalid()
    if version != household.door_code_version:
        raise Forbidden("This door code was replaced by a newer one. Please ask the grid worker for the new code.",
                        code="door_code_revoked")
    return household


async def at_door(session: AsyncSession, *, settings: Settings, principal: Principal,
                  token: str) -> tuple[Household, str | None]:
    """What the door page offers: the household a 门牌码 names and the caller's next step there (STARTED: a task
    to start, FINISHED: one to finish, None: no task of theirs)."""
    household = await _door_household(session, settings, token)
    if principal.volunteer_id is None:
        return household, None
    tasks = await repository.tasks_to_serve(session, principal.volunteer_id, household_id=household.id)
    if not tasks:
        return household, None
    return household, FINISHED if tasks[0].status == RequestStatus.IN_SERVICE else STARTED


async def scan_door(session: AsyncSession, *, settings: Settings, principal: Principal, token: str,
                    position: Position = None) -> Scanned:
    """The assigned volunteer scans the 门牌码: finish the task in service at this household, else start the next
    accepted one there."""
    household = await _door_household(session, settings, token)
    if principal.volunteer_id is None:
        raise _no_task()
    tasks = await repository.tasks_to_serve(session, principal.volunteer_id, household_id=household.id)
    if not tasks:
        raise _no_task()
    return await _step(session, await locked(session, tasks[0].id), household, principal, position, ServedVia.DOOR)


async def scan_card(session: AsyncSession, *, settings: Settings, principal: Principal, card: str,
                    household_id: int | None = None, position: Position = None) -> Scanned:
    """The 网格员 (staff of the community) scans the volunteer's card at the door: the same steps for the
    volunteer's task, at `household_id` when the volunteer has tasks at several households."""
    volunteer_id, version = tokens.verify_card_token(card, secret_key=settings.signing_keys())
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise tokens.TokenError("This card belongs to no volunteer any more.", code="card_invalid")
    access.require_staff(principal, volunteer.community_id)
    if version != volunteer.card_version:
        raise Forbidden("This card was revoked (a newer card was issued). Please use the current card.",
                        code="card_revoked")
    tasks = await repository.tasks_to_serve(session, volunteer.id, household_id=household_id)
    if not tasks:
        raise _no_task()
    if len({t.household_id for t in tasks}) > 1:
        raise Conflict("This volunteer has tasks at several homes: choose the household you are at.",
                       code="request_scan_ambiguous")
    request = await locked(session, tasks[0].id)
    if not principal.works_in(request.community_id):
        raise _no_task()
    household = await session.get(Household, request.household_id)
    assert household is not None
    return await _step(session, request, household, principal, position, ServedVia.CARD)


async def _step(session: AsyncSession, request: ServiceRequest, household: Household, principal: Principal,
                position: Position, via: str) -> Scanned:
    await geofence.check(session, request, household, position)
    if request.status == RequestStatus.IN_SERVICE:
        return Scanned(await serving.end(session, request, user_id=principal.user_id, via=via), FINISHED)
    return Scanned(await serving.begin(session, request, user_id=principal.user_id, via=via), STARTED)


def _no_task() -> NotFound:
    return NotFound("There is no accepted task for this volunteer at this home.", code="request_scan_no_task")


async def scan(session: AsyncSession, *, settings: Settings, principal: Principal, door_code: str | None,
               card: str | None, household_id: int | None = None, position: Position = None) -> Scanned:
    """One scan at the door: a 门牌码 or a volunteer's card, never both."""
    if (door_code is None) == (card is None):
        raise InvalidInput("Send the scanned door code or the volunteer's card.", code="request_scan_code_required")
    if door_code is not None:
        return await scan_door(session, settings=settings, principal=principal, token=door_code, position=position)
    assert card is not None
    return await scan_card(session, settings=settings, principal=principal, card=card, household_id=household_id,
                           position=position)
