"""Who may read and change which volunteers: the one place the API, the pages and the exports ask.

A community's managers (organisers, its street's admins, platform admins) read and change all of its
volunteers; a team leader reads the members of the teams they lead; a volunteer reads their own record.
Anyone else is told the volunteer or community does not exist (404), or, being of the community, that they
may not (403): the same answers by either door."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import NotFound
from servicebank.org.access import guard
from servicebank.volunteers import repository
from servicebank.volunteers.models import Volunteer


def listable_team_ids(principal: Principal, community_id: int) -> frozenset[int] | None:
    """Whose records of the community the caller may list: None for all of them (its managers), else the
    members of the teams the caller leads. Outsiders get 404 `community_not_found`, members 403."""
    if principal.manages(community_id):
        return None
    if community_id not in principal.led_team_community_ids:
        guard(principal.require_manager, community_id, code="community_not_found", what="community")
    return frozenset(principal.led_team_ids)


def readable_statement(principal: Principal, *, community_id: int, dialect: str = "sqlite",
                       **filters: Any) -> Select:
    """The community's volunteers the caller may read, narrowed by the filters of `repository.volunteer_query`."""
    return repository.volunteer_query(community_id=community_id, dialect=dialect,
                                      only_team_ids=listable_team_ids(principal, community_id), **filters)


async def volunteer_for(session: AsyncSession, *, actor: Principal, volunteer_id: int,
                        manage: bool = False) -> Volunteer:
    """The volunteer if the caller may see it (manage=True: may change it); 404 for outsiders."""
    volunteer = await repository.get_volunteer(session, volunteer_id)
    if volunteer is None:
        raise NotFound(f"There is no volunteer {volunteer_id}.", code="volunteer_not_found")
    if actor.manages(volunteer.community_id):
        return volunteer
    if not manage:
        if actor.volunteer_id == volunteer.id:
            return volunteer
        teams = set((await repository.team_ids_of(session, [volunteer.id])).get(volunteer.id, []))
        if teams & actor.led_team_ids:
            return volunteer
    guard(actor.require_manager, volunteer.community_id, code="volunteer_not_found", what="volunteer")
    raise NotFound(f"There is no volunteer {volunteer_id}.", code="volunteer_not_found")  # pragma: no cover
