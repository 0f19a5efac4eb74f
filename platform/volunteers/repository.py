"""Queries for volunteers and teams."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.kernel import direct
from servicebank.kernel.dialect import json_list_holds
from servicebank.kernel.kept import short_memory
from servicebank.volunteers.models import Team, TeamMember, Volunteer


async def get_volunteer(session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def team_ids_of(session: AsyncSession, volunteer_ids: Iterable[int]) -> dict[int, list[int]]:
    """Team ids per volunteer."""
    ids = list(volunteer_ids)
    found: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return found
    rows = await session.execute(
        select(TeamMember.volunteer_id, TeamMember.team_id).where(TeamMember.volunteer_id.in_(ids))
        .order_by(TeamMember.team_id)
    )
    for volunteer_id, team_id in rows:
        found[volunteer_id].append(team_id)
    return found


async def public_names(session: AsyncSession, volunteer_ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """(real name, public consent) per volunteer, for boards of up to 500 names.

    Plain rows: loading whole Volunteer objects (every column, JSON decoded) cost more than the rest of a
    leaderboard request; and the query goes straight to asyncpg, outside the request's transaction.
    """
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    rows = await direct.read(session, _names_statement(direct.sends_direct(session)), {"ids": ids})
    return {vid: (name, bool(consent)) for vid, name, consent in rows}


async def board_names(session: AsyncSession, volunteer_ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """public_names for leaderboards, each name kept in this process for `public_read_cache_seconds` (1 s).

    The top of a board is the same few people for every member who asks for their own rank, thousands of times a
    second during a festival: their names are read once a second, not once a request. A name or a withdrawn
    consent shows on the boards at most that much later, as on the anonymous boards (edge/public_reads.py).
    """
    db = session.info.get("db")
    seconds = getattr(getattr(db, "settings", None), "public_read_cache_seconds", 0)
    if not seconds:
        return await public_names(session, volunteer_ids)
    kept = short_memory(db.__dict__, "_board_names", seconds, BOARD_NAMES_KEPT)
    found: dict[int, tuple[str, bool]] = {}
    missing = []
    for vid in volunteer_ids:
        hit = kept.get(vid)
        if hit is not None:
            found[vid] = hit
        else:
            missing.append(vid)
    if missing:
        read = await public_names(session, missing)
        for vid, person in read.items():
            kept.put(vid, person)
        found.update(read)
    return found


BOARD_NAMES_KEPT = 50_000


@lru_cache(maxsize=2)
def _names_statement(array: bool) -> Select:
    # Built once and sent straight to asyncpg (kernel/direct.py): a board's names are on every board read.
    return (select(Volunteer.id, Volunteer.real_name, Volunteer.public_consent)
            .where(direct.among_ids(Volunteer.id, array=array)))


async def volunteers_with_accounts(session: AsyncSession, volunteer_ids: Iterable[int]) -> set[int]:
    ids = list(volunteer_ids)
    if not ids:
        return set()
    found = (await session.scalars(select(User.volunteer_id).where(User.volunteer_id.in_(ids)))).all()
    return {volunteer_id for volunteer_id in found if volunteer_id is not None}


async def user_id_by_phone(session: AsyncSession, phone: str) -> int | None:
    """The login that uses this phone, if any."""
    return await session.scalar(select(User.id).where(User.phone == phone))


async def user_id_of_volunteer(session: AsyncSession, volunteer_id: int) -> int | None:
    """The login of this volunteer record, if any."""
    return await session.scalar(select(User.id).where(User.volunteer_id == volunteer_id))


async def volunteer_by_phone_or_id(session: AsyncSession, *, community_id: int, phone: str,
                                   id_digest: str | None) -> Volunteer | None:
    """The community's volunteer with this phone, else with this ID number (by digest)."""
    clauses = [Volunteer.phone == phone]
    if id_digest:
        clauses.append(Volunteer.id_number_digest == id_digest)
    rows = (await session.scalars(select(Volunteer).where(Volunteer.community_id == community_id, or_(*clauses))
                                  .order_by(Volunteer.id))).all()
    return next((v for v in rows if v.phone == phone), rows[0] if rows else None)


async def phone_known(session: AsyncSession, phone: str) -> bool:
    """Some volunteer record, of any community, has this phone."""
    return await session.scalar(select(Volunteer.id).where(Volunteer.phone == phone).limit(1)) is not None


async def phone_taken(session: AsyncSession, *, community_id: int, phone: str, exclude_id: int | None = None) -> bool:
    query = select(Volunteer.id).where(Volunteer.community_id == community_id, Volunteer.phone == phone)
    if exclude_id is not None:
        query = query.where(Volunteer.id != exclude_id)
    return (await session.scalar(query.limit(1))) is not None


async def id_digest_taken(session: AsyncSession, *, community_id: int, digests: Iterable[str],
                          exclude_id: int | None = None) -> bool:
    query = select(Volunteer.id).where(Volunteer.community_id == community_id,
                                       Volunteer.id_number_digest.in_(list(digests)))
    if exclude_id is not None:
        query = query.where(Volunteer.id != exclude_id)
    return (await session.scalar(query.limit(1))) is not None


async def number_taken(session: AsyncSession, number: str) -> bool:
    return (await session.scalar(select(Volunteer.id).where(Volunteer.number == number).limit(1))) is not None


def volunteer_query(*, community_id: int, status: str | None = None, search: str | None = None,
                    team_id: int | None = None, grid_id: int | None = None, skill: str | None = None,
                    paid_service: bool | None = None, only_team_ids: frozenset[int] | None = None,
                    dialect: str = "sqlite") -> Select:
    """Volunteers of a community matching the filters (search: name, phone or volunteer number)."""
    query = select(Volunteer).where(Volunteer.community_id == community_id)
    if status:
        query = query.where(Volunteer.status == status)
    if grid_id is not None:
        query = query.where(Volunteer.grid_id == grid_id)
    if paid_service is not None:
        query = query.where(Volunteer.paid_service == paid_service)
    if search:
        term = search.strip()
        like = f"%{term}%"
        query = query.where(or_(Volunteer.real_name.like(like), Volunteer.phone.like(like),
                                Volunteer.number.like(like)))
    if team_id is not None:
        query = query.where(Volunteer.id.in_(select(TeamMember.volunteer_id).where(TeamMember.team_id == team_id)))
    if only_team_ids is not None:
        query = query.where(
            Volunteer.id.in_(select(TeamMember.volunteer_id).where(TeamMember.team_id.in_(only_team_ids)))
        )
    if skill:
        # skill_tags is jsonb on PostgreSQL and JSON text (ASCII-escaped) on SQLite.
        query = query.where(json_list_holds("volunteer.skill_tags", skill.strip(), dialect))
    return query


async def page(session: AsyncSession, query: Select, *, limit: int, offset: int) -> tuple[list[Volunteer], int]:
    total = int(await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    rows = (await session.scalars(query.order_by(Volunteer.id).limit(limit).offset(offset))).all()
    return list(rows), total


async def get_team(session: AsyncSession, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


async def teams_of_community(session: AsyncSession, community_id: int) -> list[Team]:
    return list((await session.scalars(select(Team).where(Team.community_id == community_id).order_by(Team.id))).all())


async def member_counts(session: AsyncSession, team_ids: list[int]) -> dict[int, int]:
    if not team_ids:
        return {}
    rows = await session.execute(
        select(TeamMember.team_id, func.count()).where(TeamMember.team_id.in_(team_ids)).group_by(TeamMember.team_id)
    )
    return {team_id: int(count) for team_id, count in rows}


async def leader_grants(session: AsyncSession, team_ids: list[int]) -> list[tuple[RoleGrant, User]]:
    if not team_ids:
        return []
    rows = await session.execute(
        select(RoleGrant, User).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.TEAM_LEADER, RoleGrant.team_id.in_(team_ids)).order_by(RoleGrant.id)
    )
    return [(grant, user) for grant, user in rows]


async def team_members(session: AsyncSession, team_id: int) -> list[tuple[TeamMember, Volunteer]]:
    rows = await session.execute(
        select(TeamMember, Volunteer).join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
        .where(TeamMember.team_id == team_id).order_by(Volunteer.id)
    )
    return [(member, volunteer) for member, volunteer in rows]


async def teams_by_name(session: AsyncSession, community_id: int) -> dict[str, int]:
    return {team.name: team.id for team in await teams_of_community(session, community_id)}
