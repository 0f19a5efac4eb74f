"""Teams (志愿服务队): list, create, change; members and leaders."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.openapi.spec import Example
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.org.access import guard
from servicebank.volunteers import teams
from servicebank.volunteers.models import Team
from servicebank.volunteers.schemas import (
    LeaderAssign,
    LeaderOut,
    MembersChange,
    TeamCreate,
    TeamMemberOut,
    TeamOut,
    TeamPatch,
)


async def team_views(session: AsyncSession, rows: list[Team]) -> list[TeamOut]:
    ids = [t.id for t in rows]
    counts = await teams.member_counts(session, ids)
    leaders: dict[int, list[int]] = {}
    for grant, user in await teams.leaders_of(session, ids):
        if grant.team_id is not None:  # a team leader's grant always names the team
            leaders.setdefault(grant.team_id, []).append(user.id)
    return [TeamOut(id=t.id, community_id=t.community_id, name=t.name, kind=t.kind, description=t.description,
                    member_count=counts.get(t.id, 0), leader_user_ids=leaders.get(t.id, []), created_at=t.created_at)
            for t in rows]


_TEAM_EXAMPLE = Example(value={"community_id": 1, "name": "党员先锋队", "kind": "党员",
                               "description": "每周六上午环境清洁"})


class TeamController(Controller):
    path = "/api/teams"
    tags = ["teams"]

    @get("/kinds")
    async def kinds(self, principal: Principal) -> list[str]:
        """The built-in team kinds; any other kind (up to 32 characters) may be used as a custom kind."""
        return list(teams.BUILT_IN_KINDS)

    @get("/")
    async def list_teams(self, db_session: AsyncSession, principal: Principal,
                         community_id: Annotated[int, Parameter(description="The community")]) -> list[TeamOut]:
        """The community's teams, with member counts and leaders. Anyone linked to the community."""
        guard(principal.require_member, community_id, code="community_not_found", what="community")
        return await team_views(db_session, await teams.teams_of_community(db_session, community_id))

    @post("/", status_code=201)
    async def create(self, db_session: AsyncSession, principal: Principal,
                     data: Annotated[TeamCreate, Body(examples=[_TEAM_EXAMPLE])]) -> TeamOut:
        """Create a team. Organisers; 409 `duplicate_team_name`, 422 `invalid_team_kind`."""
        return (await team_views(db_session, [await teams.create_team(db_session, actor=principal, data=data)]))[0]

    @get("/{team_id:int}")
    async def get_team(self, db_session: AsyncSession, principal: Principal, team_id: int) -> TeamOut:
        """One team of a community you are linked to."""
        return (await team_views(db_session, [await teams.team_for(db_session, actor=principal, team_id=team_id)]))[0]

    @patch("/{team_id:int}")
    async def update(self, db_session: AsyncSession, principal: Principal, team_id: int,
                     data: Annotated[TeamPatch, Body(examples=[Example(value={"name": "红色先锋队"})])]) -> TeamOut:
        """Rename a team or change its kind or description. Organisers."""
        team = await teams.update_team(db_session, actor=principal, team_id=team_id, data=data)
        return (await team_views(db_session, [team]))[0]

    @get("/{team_id:int}/members")
    async def members(self, db_session: AsyncSession, principal: Principal, team_id: int) -> list[TeamMemberOut]:
        """The team's members. Organisers and the team's leaders."""
        team = await teams.team_for(db_session, actor=principal, team_id=team_id, lead=True)
        leader_volunteers = {user.volunteer_id for _, user in await teams.leaders_of(db_session, [team.id])}
        return [TeamMemberOut(volunteer_id=v.id, number=v.number, real_name=v.real_name, phone=v.phone,
                              status=v.status, is_leader=v.id in leader_volunteers, joined_at=m.joined_at)
                for m, v in await teams.members_of(db_session, team.id)]

    @post("/{team_id:int}/members", status_code=200)
    async def add_members(self, db_session: AsyncSession, principal: Principal, team_id: int,
                          data: Annotated[MembersChange, Body(examples=[Example(value={"volunteer_ids": [3, 4]})])]
                          ) -> dict[str, int]:
        """Add volunteers of the same community to the team; returns how many were added. Organisers."""
        return {"added": await teams.add_members(db_session, actor=principal, team_id=team_id,
                                                 volunteer_ids=data.volunteer_ids)}

    @delete("/{team_id:int}/members/{volunteer_id:int}", status_code=204)
    async def remove_member(self, db_session: AsyncSession, principal: Principal, team_id: int,
                            volunteer_id: int) -> None:
        """Take a volunteer off the team (also ends their leadership of it). Organisers."""
        await teams.remove_member(db_session, actor=principal, team_id=team_id, volunteer_id=volunteer_id)

    @get("/{team_id:int}/leaders")
    async def leaders(self, db_session: AsyncSession, principal: Principal, team_id: int) -> list[LeaderOut]:
        """The team's leaders. Anyone linked to the community."""
        team = await teams.team_for(db_session, actor=principal, team_id=team_id)
        return [LeaderOut(user_id=u.id, display_name=u.display_name, volunteer_id=u.volunteer_id)
                for _, u in await teams.leaders_of(db_session, [team.id])]

    @post("/{team_id:int}/leaders", status_code=201)
    async def assign_leader(self, db_session: AsyncSession, principal: Principal, team_id: int,
                            data: Annotated[LeaderAssign, Body(examples=[Example(value={"volunteer_id": 3})])]
                            ) -> LeaderOut:
        """Make a volunteer (who has a login) a leader of the team. Organisers; 409 `volunteer_has_no_account`."""
        user = await teams.assign_leader(db_session, actor=principal, team_id=team_id, volunteer_id=data.volunteer_id)
        return LeaderOut(user_id=user.id, display_name=user.display_name, volunteer_id=user.volunteer_id)

    @delete("/{team_id:int}/leaders/{user_id:int}", status_code=204)
    async def remove_leader(self, db_session: AsyncSession, principal: Principal, team_id: int, user_id: int) -> None:
        """End someone's leadership of the team (they stay a member). Organisers."""
        await teams.remove_leader(db_session, actor=principal, team_id=team_id, user_id=user_id)
