"""Teams (志愿服务队): created by organisers, with members and leaders. Flush, never commit."""

from __future__ import annotations

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.db import affected_rows
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.org.access import guard
from servicebank.volunteers import repository
from servicebank.volunteers.models import Team, TeamMember, Volunteer
from servicebank.volunteers.schemas import TeamCreate, TeamPatch
from servicebank.volunteers.service import get_community

BUILT_IN_KINDS = ("党员", "团员/青年", "巾帼", "居民", "文艺", "治安巡逻", "义务消防", "共建单位")


def _clean(name: str, kind: str) -> tuple[str, str]:
    name, kind = name.strip(), kind.strip()
    if not name or len(name) > 100:
        raise InvalidInput("Give the team a name of 1-100 characters.", code="invalid_name")
    if not kind or len(kind) > 32:
        raise InvalidInput("Give the team a kind (党员, 巾帼, 文艺 ... or your own, up to 32 characters).",
                           code="invalid_team_kind")
    return name, kind


async def _name_free(session: AsyncSession, community_id: int, name: str, exclude_id: int | None = None) -> None:
    query = select(Team.id).where(Team.community_id == community_id, Team.name == name)
    if exclude_id is not None:
        query = query.where(Team.id != exclude_id)
    if await session.scalar(query) is not None:
        raise Conflict(f"The community already has a team called {name}.", code="duplicate_team_name")


async def team_for(session: AsyncSession, *, actor: Principal, team_id: int, manage: bool = False,
                   lead: bool = False) -> Team:
    """The team if the caller may see it (manage: organisers; lead: organisers or its leaders); 404 outside."""
    team = await repository.get_team(session, team_id)
    if team is None:
        raise NotFound(f"There is no team {team_id}.", code="team_not_found")
    if manage:
        guard(actor.require_manager, team.community_id, code="team_not_found", what="team")
    elif lead and not actor.leads(team.id):
        guard(actor.require_manager, team.community_id, code="team_not_found", what="team")
    else:
        guard(actor.require_member, team.community_id, code="team_not_found", what="team")
    return team


async def create_team(session: AsyncSession, *, actor: Principal, data: TeamCreate) -> Team:
    """A new team in the community; organisers only."""
    guard(actor.require_manager, data.community_id, code="community_not_found", what="community")
    await get_community(session, data.community_id)
    name, kind = _clean(data.name, data.kind)
    await _name_free(session, data.community_id, name)
    team = Team(community_id=data.community_id, name=name, kind=kind,
                description=(data.description or "").strip()[:1000] or None)
    session.add(team)
    await session.flush()
    await record_audit(session, actor=actor, action="team.create", entity_type="team", entity_id=team.id,
                       community_id=team.community_id, after=snapshot(team))
    return team


async def update_team(session: AsyncSession, *, actor: Principal, team_id: int, data: TeamPatch) -> Team:
    team = await team_for(session, actor=actor, team_id=team_id, manage=True)
    before = snapshot(team)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    name, kind = _clean(changes.get("name", team.name), changes.get("kind", team.kind))
    if name != team.name:
        await _name_free(session, team.community_id, name, exclude_id=team.id)
    team.name, team.kind = name, kind
    if "description" in changes:
        team.description = (changes["description"] or "").strip()[:1000] or None
    await session.flush()
    await record_audit(session, actor=actor, action="team.update", entity_type="team", entity_id=team.id,
                       community_id=team.community_id, before=before, after=snapshot(team))
    return team


async def _volunteers_of_community(session: AsyncSession, community_id: int, ids: list[int]) -> list[int]:
    wanted = sorted(set(ids))
    if not wanted:
        raise InvalidInput("Give at least one volunteer id.", code="volunteer_ids_required")
    found = set((await session.scalars(select(Volunteer.id).where(
        Volunteer.id.in_(wanted), Volunteer.community_id == community_id))).all())
    missing = [v for v in wanted if v not in found]
    if missing:
        raise NotFound(f"Volunteer {missing[0]} is not a volunteer of this community.", code="volunteer_not_found")
    return wanted


async def add_members(session: AsyncSession, *, actor: Principal, team_id: int, volunteer_ids: list[int]) -> int:
    """Add volunteers of the same community; returns how many were new. Organisers only."""
    team = await team_for(session, actor=actor, team_id=team_id, manage=True)
    wanted = await _volunteers_of_community(session, team.community_id, volunteer_ids)
    present = set((await session.scalars(select(TeamMember.volunteer_id).where(
        TeamMember.team_id == team.id, TeamMember.volunteer_id.in_(wanted)))).all())
    new = [v for v in wanted if v not in present]
    session.add_all(TeamMember(team_id=team.id, volunteer_id=v) for v in new)
    await session.flush()
    if new:
        await record_audit(session, actor=actor, action="team.members_add", entity_type="team", entity_id=team.id,
                           community_id=team.community_id, after={"added_volunteer_ids": new})
    return len(new)


async def remove_member(session: AsyncSession, *, actor: Principal, team_id: int, volunteer_id: int) -> None:
    """Take a volunteer off the team (their hours stay theirs). Also ends their leadership of it."""
    team = await team_for(session, actor=actor, team_id=team_id, manage=True)
    result = await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id,
                                                            TeamMember.volunteer_id == volunteer_id))
    if not affected_rows(result):
        raise NotFound("That volunteer is not a member of this team.", code="member_not_found")
    user_id = await session.scalar(select(User.id).where(User.volunteer_id == volunteer_id))
    if user_id is not None:
        await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.team_id == team.id,
                                                      RoleGrant.role == Role.TEAM_LEADER))
    await record_audit(session, actor=actor, action="team.members_remove", entity_type="team", entity_id=team.id,
                       community_id=team.community_id, before={"volunteer_id": volunteer_id})


async def assign_leader(session: AsyncSession, *, actor: Principal, team_id: int, volunteer_id: int) -> User:
    """Make a volunteer with a login a leader of the team (joining it if needed). Organisers only."""
    team = await team_for(session, actor=actor, team_id=team_id, manage=True)
    await _volunteers_of_community(session, team.community_id, [volunteer_id])
    user = await session.scalar(select(User).where(User.volunteer_id == volunteer_id))
    if user is None:
        raise Conflict("This volunteer has no login yet; give them one before making them a leader.",
                       code="volunteer_has_no_account")
    existing = await session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user.id,
                                                               RoleGrant.team_id == team.id,
                                                               RoleGrant.role == Role.TEAM_LEADER))
    if existing is not None:
        raise Conflict("This volunteer already leads the team.", code="already_leader")
    if await session.get(TeamMember, (team.id, volunteer_id)) is None:
        session.add(TeamMember(team_id=team.id, volunteer_id=volunteer_id))
    grant = RoleGrant(user_id=user.id, role=Role.TEAM_LEADER, team_id=team.id, community_id=team.community_id)
    session.add(grant)
    await session.flush()
    await record_audit(session, actor=actor, action="team.leader_assign", entity_type="team", entity_id=team.id,
                       community_id=team.community_id, after={"user_id": user.id, "volunteer_id": volunteer_id})
    return user


async def remove_leader(session: AsyncSession, *, actor: Principal, team_id: int, user_id: int) -> None:
    team = await team_for(session, actor=actor, team_id=team_id, manage=True)
    result = await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.team_id == team.id,
                                                           RoleGrant.role == Role.TEAM_LEADER))
    if not affected_rows(result):
        raise NotFound("That user does not lead this team.", code="leader_not_found")
    await record_audit(session, actor=actor, action="team.leader_remove", entity_type="team", entity_id=team.id,
                       community_id=team.community_id, before={"user_id": user_id})


async def teams_of_community(session: AsyncSession, community_id: int) -> list[Team]:
    """The community's teams (the caller has checked they may see the community)."""
    return await repository.teams_of_community(session, community_id)


async def member_counts(session: AsyncSession, team_ids: list[int]) -> dict[int, int]:
    """team id -> how many members."""
    return await repository.member_counts(session, team_ids)


async def leaders_of(session: AsyncSession, team_ids: list[int]) -> list[tuple[RoleGrant, User]]:
    """The leader grants of these teams with the leaders' logins."""
    return await repository.leader_grants(session, team_ids)


async def members_of(session: AsyncSession, team_id: int) -> list[tuple[TeamMember, Volunteer]]:
    """The team's memberships with the volunteers (the caller has passed `team_for`)."""
    return await repository.team_members(session, team_id)
