"""Matching for the 派单台: volunteers and teams to dispatch a request to, with what the organiser weighs —
distance in grids from the request (same grid, same community, other), current load (open tasks) and rating."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.requests import access, repository
from servicebank.requests.schemas import CandidateOut, TeamCandidateOut
from servicebank.volunteers.models import Volunteer

SAME_GRID, SAME_COMMUNITY, OTHER = "same_grid", "same_community", "other"
_NEAR_FIRST = {SAME_GRID: 0, SAME_COMMUNITY: 1, OTHER: 2, None: 1}


def distance(volunteer: Volunteer | CandidateOut, *, grid_id: int, community_id: int) -> str:
    """How far the volunteer (or a candidate of the community) lives from a request, in grids."""
    if volunteer.grid_id is not None and volunteer.grid_id == grid_id:
        return SAME_GRID
    if isinstance(volunteer, CandidateOut) or volunteer.community_id == community_id:
        return SAME_COMMUNITY
    return OTHER


def nearest_first(found: list[CandidateOut], *, grid_id: int,
                  community_id: int) -> list[tuple[CandidateOut, str]]:
    """The candidates of a community (listed once for a page) with their distance to one request, nearest first,
    then in the order they came (least loaded, best rated)."""
    marked = [(c, distance(c, grid_id=grid_id, community_id=community_id)) for c in found]
    return sorted(marked, key=lambda pair: _NEAR_FIRST[pair[1]])


async def _place(session: AsyncSession, principal: Principal, community_id: int,
                 request_id: int | None) -> int | None:
    """The grid of the request the organiser is dispatching (None: no request chosen)."""
    principal.require_manager(community_id)
    if request_id is None:
        return None
    request = await access.get_request(session, request_id)
    if request.community_id != community_id:
        raise access.missing()
    return request.grid_id


async def candidates(session: AsyncSession, *, principal: Principal, community_id: int,
                     request_id: int | None = None, limit: int = 20) -> list[CandidateOut]:
    """Volunteers to assign: active in the community, nearest first (for a request), then least loaded, then
    best rated."""
    grid_id = await _place(session, principal, community_id, request_id)
    volunteers = await repository.active_volunteers(session, community_id)
    load = await repository.volunteer_load(session, [v.id for v in volunteers])
    ratings = await repository.volunteer_rating(session, [v.id for v in volunteers])
    far = {v.id: distance(v, grid_id=grid_id, community_id=community_id) if grid_id is not None else None
           for v in volunteers}
    ranked = sorted(volunteers, key=lambda v: (_NEAR_FIRST[far[v.id]], load.get(v.id, 0),
                                               -ratings.get(v.id, (0.0, 0))[0], v.id))
    return [CandidateOut(volunteer_id=v.id, name=v.real_name, skills=list(v.skill_tags or []), load=load.get(v.id, 0),
                         rating=ratings.get(v.id, (None, 0))[0], ratings=ratings.get(v.id, (None, 0))[1],
                         distance=far[v.id], grid_id=v.grid_id)
            for v in ranked[:limit]]


async def team_candidates(session: AsyncSession, *, principal: Principal, community_id: int,
                          request_id: int | None = None) -> list[TeamCandidateOut]:
    """Teams to open a request to: those with members living in the request's grid first, then least loaded."""
    grid_id = await _place(session, principal, community_id, request_id)
    members = await repository.active_team_members(session, community_id)
    volunteer_ids = sorted({v.id for _team_id, _name, v in members})
    load = await repository.volunteer_load(session, volunteer_ids)
    ratings = await repository.volunteer_rating(session, volunteer_ids)
    teams: dict[int, dict] = {}
    for team_id, name, volunteer in members:
        team = teams.setdefault(team_id, {"name": name, "members": 0, "near": 0, "load": 0, "stars": 0.0, "n": 0})
        team["members"] += 1
        team["near"] += int(grid_id is not None and volunteer.grid_id == grid_id)
        team["load"] += load.get(volunteer.id, 0)
        average, count = ratings.get(volunteer.id, (0.0, 0))
        team["stars"] += average * count
        team["n"] += count
    found = [TeamCandidateOut(team_id=team_id, name=t["name"], members=t["members"], same_grid_members=t["near"],
                              load=t["load"], rating=round(t["stars"] / t["n"], 1) if t["n"] else None,
                              ratings=t["n"])
             for team_id, t in teams.items()]
    return sorted(found, key=lambda t: (-t.same_grid_members, t.load, t.team_id))
