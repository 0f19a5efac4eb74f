"""Demo data for first tries: one street, two communities, teams, about 20 volunteers, and more
added by each domain's `demo.py` (activities, a store, ...). Loaded once, on an empty database."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.accounts.passwords import hash_password
from servicebank.org.models import Community, District, Grid, Street
from servicebank.registry import domain_modules
from servicebank.volunteers.models import Team, TeamMember, Volunteer

DEMO_PASSWORD = "demo1234"

NAMES = ["王秀英", "李桂兰", "张建国", "刘淑芬", "陈志强", "杨玉兰", "赵德明", "黄丽华", "周永福", "吴翠萍",
         "徐国庆", "孙美玲", "马红梅", "朱卫东", "胡秀珍", "郭建华", "何桂芳", "高志明", "林晓燕", "罗振华",
         "梁淑华", "宋国强"]


@dataclasses.dataclass
class DemoContext:
    """What earlier seeds made, for later ones; and the logins to print."""

    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    logins: list[dict[str, str]] = dataclasses.field(default_factory=list)

    def login(self, role: str, login: str, note: str) -> None:
        self.logins.append({"role": role, "login": login, "password": DEMO_PASSWORD, "note": note})


async def is_seeded(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count(District.id))))


async def _user(session: AsyncSession, ctx: DemoContext, *, username: str, name: str, role: str,
                password_hash: str, volunteer: Volunteer | None = None, **scope: int | None) -> User:
    user = User(username=username, phone=volunteer.phone if volunteer else None, display_name=name,
                password_hash=password_hash, volunteer_id=volunteer.id if volunteer else None)
    session.add(user)
    await session.flush()
    if role != Role.VOLUNTEER:
        session.add(RoleGrant(user_id=user.id, role=role, **scope))
    return user


async def seed_people(session: AsyncSession, ctx: DemoContext) -> None:
    """The hierarchy, teams, volunteers and staff accounts."""
    pw = hash_password(DEMO_PASSWORD)
    district = District(name="示范区")
    session.add(district)
    await session.flush()
    street = Street(district_id=district.id, name="幸福街道")
    session.add(street)
    await session.flush()
    hexie = Community(district_id=district.id, street_id=street.id, name="和谐社区", code="HX",
                      contact_phone="010-88886666")
    youlin = Community(district_id=district.id, street_id=street.id, name="友邻社区", code="YL",
                       contact_phone="010-88887777")
    session.add_all([hexie, youlin])
    await session.flush()
    grids = [Grid(community_id=hexie.id, name=f"第{n}网格") for n in ("一", "二", "三")]
    session.add_all(grids + [Grid(community_id=youlin.id, name="第一网格")])
    await session.flush()
    teams = [Team(community_id=hexie.id, name="党员先锋队", kind="党员"),
             Team(community_id=hexie.id, name="夕阳红文艺队", kind="文艺"),
             Team(community_id=hexie.id, name="平安巡逻队", kind="治安巡逻"),
             Team(community_id=youlin.id, name="巾帼志愿服务队", kind="巾帼")]
    session.add_all(teams)
    await session.flush()
    volunteers: list[Volunteer] = []
    for i, name in enumerate(NAMES):
        community = hexie if i < 18 else youlin
        volunteer = Volunteer(
            community_id=community.id, grid_id=grids[i % 3].id if community is hexie else None,
            number=f"{community.code}-{i + 1:06d}", real_name=name, phone=f"1390000{i + 1:04d}",
            birth_year=1950 + (i * 3) % 40, party_class="退休" if i % 2 == 0 else "在职",
            political_status="党员" if i % 3 == 0 else "群众",
            skill_tags=[["医疗", "理发"], ["文艺"], ["维修"], []][i % 4],
        )
        session.add(volunteer)
        volunteers.append(volunteer)
    await session.flush()
    for i, volunteer in enumerate(volunteers[:18]):
        session.add(TeamMember(team_id=teams[i % 3].id, volunteer_id=volunteer.id))
    for volunteer in volunteers[18:]:
        session.add(TeamMember(team_id=teams[3].id, volunteer_id=volunteer.id))
    await _user(session, ctx, username="admin", name="平台管理员", role=Role.PLATFORM_ADMIN, password_hash=pw)
    await _user(session, ctx, username="street", name="街道管理员", role=Role.STREET_ADMIN, password_hash=pw,
                street_id=street.id)
    await _user(session, ctx, username="organiser", name="社工小李", role=Role.ORGANISER, password_hash=pw,
                community_id=hexie.id)
    leader = await _user(session, ctx, username="leader", name=volunteers[0].real_name, role=Role.TEAM_LEADER,
                         password_hash=pw, volunteer=volunteers[0], team_id=teams[0].id)
    for volunteer in volunteers[1:]:
        await _user(session, ctx, username=None, name=volunteer.real_name, role=Role.VOLUNTEER,  # type: ignore[arg-type]
                    password_hash=pw, volunteer=volunteer)
    ctx.login("platform admin", "admin", "all communities")
    ctx.login("street admin", "street", "幸福街道")
    ctx.login("organiser", "organiser", "和谐社区")
    ctx.login("team leader", "leader", f"党员先锋队, also a volunteer ({leader.display_name})")
    ctx.login("volunteer", volunteers[1].phone, f"{volunteers[1].real_name}, 和谐社区 (log in with the phone)")
    ctx.values.update(district=district, street=street, community=hexie, other_community=youlin, teams=teams,
                      volunteers=volunteers, password_hash=pw)


async def seed_demo(session: AsyncSession) -> DemoContext | None:
    """Load the demo data unless the database already has data; returns None when skipped."""
    if await is_seeded(session):
        return None
    ctx = DemoContext()
    await seed_people(session, ctx)
    for module in domain_modules("demo"):
        await module.seed(session, ctx)
        await session.flush()
    return ctx
