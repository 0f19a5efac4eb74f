"""Who may do what with check-ins: the one place the API, the pages and the exports ask.

Staff of an activity's community (organisers, team leaders, the street's and the platform's administrators)
run its kiosk, sign people in (代签) and read its records; its managers (organisers and administrators) review
records, set its check-in rules and reissue cards. Outsiders are told the activity, record or volunteer does
not exist (404); members without the role that they may not (403)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity
from servicebank.checkins import repository as repo
from servicebank.checkins.models import Attendance
from servicebank.kernel.errors import Forbidden, NotFound
from servicebank.volunteers.models import Volunteer


async def _activity(session: AsyncSession, activity_id: int) -> Activity:
    activity = await repo.get_activity(session, activity_id)
    if activity is None:
        raise NotFound("No such activity.", code="activity_not_found")
    return activity


async def staff_activity(session: AsyncSession, *, activity_id: int, principal: Principal) -> Activity:
    """The activity, if the caller is staff (organiser, admin or team leader) of its community."""
    activity = await _activity(session, activity_id)
    principal.require_staff(activity.community_id)
    return activity


async def managed_activity(session: AsyncSession, *, activity_id: int, principal: Principal) -> Activity:
    """The activity, if the caller manages its community (reviews its records, sets its rules)."""
    activity = await _activity(session, activity_id)
    principal.require_manager(activity.community_id)
    return activity


async def managed_attendance(session: AsyncSession, *, attendance_id: int, principal: Principal,
                             for_update: bool = True) -> Attendance:
    """The attendance record, if the caller manages its community (row-locked unless for_update is False)."""
    att = await repo.get_attendance(session, attendance_id, for_update=for_update)
    if att is None:
        raise NotFound("No such attendance record.", code="attendance_not_found")
    principal.require_manager(att.community_id)
    return att


def require_reviewer(principal: Principal, community_id: int) -> None:
    """The community's records awaiting review are its managers' to see."""
    principal.require_manager(community_id)


def require_proxy_signer(principal: Principal, community_id: int) -> None:
    """Signing a volunteer in on their behalf (代签) is for staff of the activity's community."""
    principal.require_staff(community_id)


async def card_volunteer(session: AsyncSession, *, volunteer_id: int, principal: Principal) -> Volunteer:
    """The volunteer whose card the caller may reissue: the community's organisers only."""
    volunteer = await repo.get_volunteer(session, volunteer_id)
    if volunteer is None:
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    try:
        principal.require_manager(volunteer.community_id)
    except NotFound:
        raise NotFound("No such volunteer.", code="volunteer_not_found") from None
    except Forbidden:
        raise Forbidden("Only the community's organisers can reissue a card.", code="organiser_required") from None
    return volunteer
