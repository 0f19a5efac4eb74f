"""Who may read and change a volunteer's records here: the volunteer themself and the community's organisers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import NotFound
from servicebank.volunteers.models import Volunteer


async def readable_volunteer(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> Volunteer:
    """The volunteer, for themself or an organiser of their community; 404 for outsiders, 403 for other members."""
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None or not (principal.volunteer_id == volunteer_id or principal.belongs_to(volunteer.community_id)):
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    if principal.volunteer_id != volunteer_id:
        principal.require_manager(volunteer.community_id)
    return volunteer
