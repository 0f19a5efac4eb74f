"""Test data builders shared by every domain's tests. Each returns committed rows."""

from __future__ import annotations

import dataclasses
import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.accounts.passwords import hash_password
from servicebank.accounts.sessions import open_session
from servicebank.org.models import Community, District, Grid, Street
from servicebank.volunteers.models import Team, TeamMember, Volunteer

PASSWORD = "pass-word-123"
_seq = itertools.count(1)
# Hashing is deliberately slow; tests share one hash.
_HASH: str | None = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


@dataclasses.dataclass
class Org:
    district: District
    street: Street
    community: Community  # the community under test
    other: Community  # a neighbouring community of the same street
    grid: Grid


@dataclasses.dataclass
class Person:
    user: User
    token: str
    volunteer: Volunteer | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_org(session: AsyncSession) -> Org:
    n = next(_seq)
    district = District(name=f"测试区{n}")
    session.add(district)
    await session.flush()
    street = Street(district_id=district.id, name=f"幸福街道{n}")
    session.add(street)
    await session.flush()
    community = Community(district_id=district.id, street_id=street.id, name=f"和谐社区{n}", code=f"HX{n}")
    other = Community(district_id=district.id, street_id=street.id, name=f"友邻社区{n}", code=f"YL{n}")
    session.add_all([community, other])
    await session.flush()
    grid = Grid(community_id=community.id, name="第一网格")
    session.add(grid)
    await session.commit()
    return Org(district=district, street=street, community=community, other=other, grid=grid)


async def make_volunteer(session: AsyncSession, community: Community, *, name: str | None = None,
                         phone: str | None = None, **fields: object) -> Volunteer:
    n = next(_seq)
    volunteer = Volunteer(community_id=community.id, number=f"{community.code}-F{n:05d}",
                          real_name=name or f"志愿者{n}", phone=phone or f"139{n:08d}", **fields)
    session.add(volunteer)
    await session.commit()
    return volunteer


async def make_person(session: AsyncSession, role: str, *, community: Community | None = None,
                      street: Street | None = None, team: Team | None = None, store_id: int | None = None,
                      volunteer: Volunteer | None = None, name: str | None = None) -> Person:
    """A user holding one role (scoped as given) with a live token; volunteers get a Volunteer row."""
    n = next(_seq)
    if role == Role.VOLUNTEER and volunteer is None:
        assert community is not None, "a volunteer needs a community"
        volunteer = await make_volunteer(session, community, name=name)
    user = User(username=f"user{n}", phone=volunteer.phone if volunteer else f"138{n:08d}",
                display_name=name or (volunteer.real_name if volunteer else f"用户{n}"),
                password_hash=_password_hash(), volunteer_id=volunteer.id if volunteer else None)
    session.add(user)
    await session.flush()
    if role != Role.VOLUNTEER:
        session.add(RoleGrant(user_id=user.id, role=role, community_id=community.id if community else None,
                              street_id=street.id if street else None, team_id=team.id if team else None,
                              store_id=store_id))
    token = await open_session(session, user_id=user.id)
    await session.commit()
    return Person(user=user, token=token, volunteer=volunteer)


async def make_team(session: AsyncSession, community: Community, *, name: str | None = None, kind: str = "居民",
                    members: list[Volunteer] = ()) -> Team:  # type: ignore[assignment]
    team = Team(community_id=community.id, name=name or f"服务队{next(_seq)}", kind=kind)
    session.add(team)
    await session.flush()
    for volunteer in members:
        session.add(TeamMember(team_id=team.id, volunteer_id=volunteer.id))
    await session.commit()
    return team


async def make_list_in_notice(session: AsyncSession, community: Community, *, title: str = "十月光荣榜"):  # noqa: ANN201
    """A published community honour list whose 7-day notice (objections open) has just begun."""
    import datetime as dt

    from servicebank.honours.models import HonourList

    now = dt.datetime.now(dt.UTC)
    honour_list = HonourList(scope_kind="community", scope_id=community.id, month="2026-10", title=title,
                             status="published", period_start=now - dt.timedelta(days=40),
                             period_end=now - dt.timedelta(days=10), published_at=now,
                             notice_ends_at=now + dt.timedelta(days=7))
    session.add(honour_list)
    await session.flush()
    return honour_list
