"""Every endpoint × every role × every account state, in the own community (A) and from the neighbouring one (B).

One table: a row per endpoint with the status each actor must get. Outsiders get 404 (nothing about A
leaks), members of A without the role get 403, anonymous callers 401. Later domains add their rows to
CASES (a path or body may be an async factory, so writes act on fresh records and never on each other).

Account states (accounts.principal.ACCOUNT_STATES) are actors too: volunteers of A who are pending,
suspended or have left count as outsiders of A (they read and do only their own things), a team leader
whose own volunteer record is suspended leads nothing, and a deactivated login is no login at all.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.accounts.sessions import open_session
from servicebank.volunteers import routes as volunteer_routes
from servicebank.volunteers.models import Volunteer, VolunteerStatus
from tests.factories import PASSWORD, Org, Person, make_org, make_person, make_team, make_volunteer
from tests.volunteers.roster_files import xlsx

ADMIN, STREET, ORGANISER, LEADER, VOLUNTEER, CLERK = "admin", "street", "organiser", "leader", "volunteer", "clerk"
ORGANISER_B, LEADER_B, VOLUNTEER_B, ANON = "organiser_b", "leader_b", "volunteer_b", "anon"
PENDING, SUSPENDED, LEFT = "volunteer_pending", "volunteer_suspended", "volunteer_left"
LEADER_SUSPENDED, DEACTIVATED = "leader_suspended", "deactivated_organiser"
ROLES = (ADMIN, STREET, ORGANISER, LEADER, VOLUNTEER, CLERK, ORGANISER_B, LEADER_B, VOLUNTEER_B, ANON,
         PENDING, SUSPENDED, LEFT, LEADER_SUSPENDED, DEACTIVATED)
MANAGERS = {ADMIN, STREET, ORGANISER}
MEMBERS_OF_A = {LEADER, VOLUNTEER}  # linked to A without managing it
NOT_ACTIVE = {PENDING, SUSPENDED, LEFT}  # volunteers of A who may read only their own records
OUTSIDERS = {CLERK, ORGANISER_B, LEADER_B, VOLUNTEER_B} | NOT_ACTIVE | {LEADER_SUSPENDED}
NO_LOGIN = {ANON, DEACTIVATED}  # a deactivated account's token is refused like none at all
ACTIVE_VOLUNTEERS = {VOLUNTEER, VOLUNTEER_B}
VOLUNTEER_LOGINS = ACTIVE_VOLUNTEERS | NOT_ACTIVE | {LEADER_SUSPENDED}  # logins linked to a volunteer record
_seq = itertools.count(1)
NEW_PASSWORD = "brand-new-pass-1"


def expect(ok: int, *, allow: set[str] = MANAGERS, members: int = 403, outsiders: int = 404, anon: int = 401,
           **overrides: int) -> dict[str, int]:
    """Statuses per role: `ok` for allowed roles, refusals for the rest; overrides by role name."""
    table = {}
    for role in ROLES:
        if role in allow:
            table[role] = ok
        elif role in NO_LOGIN:
            table[role] = anon
        elif role in MEMBERS_OF_A:
            table[role] = members
        else:
            table[role] = outsiders
    table.update(overrides)
    return table


EVERYONE_LOGGED_IN = set(ROLES) - NO_LOGIN
LINKED_TO_A = MANAGERS | MEMBERS_OF_A


@dataclasses.dataclass
class World:
    session: Any
    org: Org
    people: dict[str, Person]
    team: Any
    target: Volunteer  # a volunteer of A, member of the team the leader leads

    async def volunteer(self, *, status: str = VolunteerStatus.ACTIVE, account: bool = False,
                        in_team: bool = False) -> Volunteer:
        n = next(_seq)
        # Own number prefix: the API allocates "<code>-000001"-style numbers in the same community.
        volunteer = Volunteer(community_id=self.org.community.id, number=f"T-{n:06d}", real_name=f"临时{n}",
                              phone=f"137{n:08d}", status=status)
        self.session.add(volunteer)
        await self.session.commit()
        if in_team:
            await make_team_member(self.session, self.team.id, volunteer.id)
        if account:
            self.session.add(User(phone=volunteer.phone, display_name=volunteer.real_name, password_hash="x",
                                  volunteer_id=volunteer.id))
            await self.session.commit()
        return volunteer

    async def leader_user(self) -> int:
        volunteer = await self.volunteer(account=True, in_team=True)
        user_id = await self.session.scalar(User.__table__.select().with_only_columns(User.id)
                                            .where(User.volunteer_id == volunteer.id))
        self.session.add(RoleGrant(user_id=user_id, role=Role.TEAM_LEADER, team_id=self.team.id,
                                   community_id=self.org.community.id))
        await self.session.commit()
        return int(user_id)

    async def plain_user(self) -> int:
        user = User(username=f"plain{next(_seq)}", display_name="某人", password_hash="x")
        self.session.add(user)
        await self.session.commit()
        return user.id

    async def clerk_user(self) -> int:
        """A store clerk's login of community A, for the cases that look after a login from above."""
        grant = await self.session.get(RoleGrant, await self.clerk_grant())
        user_id = grant.user_id
        # End the read's transaction: on SQLite it holds the one pooled connection the request needs.
        await self.session.commit()
        return user_id

    async def clerk_grant(self) -> int:
        grant = RoleGrant(user_id=await self.plain_user(), role=Role.STORE_CLERK, community_id=self.org.community.id,
                          store_id=1)
        self.session.add(grant)
        await self.session.commit()
        return grant.id


async def make_team_member(session: Any, team_id: int, volunteer_id: int) -> None:
    from servicebank.volunteers.models import TeamMember

    session.add(TeamMember(team_id=team_id, volunteer_id=volunteer_id))
    await session.commit()


Value = str | dict | Callable[[World], Awaitable[Any]]


@dataclasses.dataclass
class Case:
    method: str
    path: Value
    expected: dict[str, int]
    body: Value | None = None
    files: Callable[[World], dict] | None = None
    fresh_token: bool = False  # the call ends the session (logout)


async def _value(value: Value | None, world: World) -> Any:
    if callable(value):
        return await value(world)
    return value


def a(path: str) -> Callable[[World], Awaitable[str]]:
    """A path with {A}, {B}, {team}, {target}, {street}, {district} filled from the world."""
    async def fill(w: World) -> str:
        return path.format(A=w.org.community.id, B=w.org.other.id, team=w.team.id, target=w.target.id,
                           street=w.org.street.id, district=w.org.district.id)
    return fill


def fresh(template: str, make: Callable[[World], Awaitable[int]]) -> Callable[[World], Awaitable[str]]:
    async def fill(w: World) -> str:
        return await a(template.replace("{new}", str(await make(w))))(w)
    return fill


def body(make: Callable[[World, int], dict]) -> Callable[[World], Awaitable[dict]]:
    async def build(w: World) -> dict:
        return make(w, next(_seq))
    return build


async def _pending(w: World) -> int:
    return (await w.volunteer(status=VolunteerStatus.PENDING)).id


async def _active(w: World) -> int:
    return (await w.volunteer()).id


async def _suspended(w: World) -> int:
    return (await w.volunteer(status=VolunteerStatus.SUSPENDED)).id


async def _member(w: World) -> int:
    return (await w.volunteer(in_team=True)).id


async def _with_account(w: World) -> dict:
    return {"volunteer_id": (await w.volunteer(account=True)).id}


async def _members_body(w: World) -> dict:
    return {"volunteer_ids": [(await w.volunteer()).id]}


async def _leader_grant(w: World) -> dict:
    return {"role": "team_leader", "team_id": w.team.id}


async def _family_record(w: World) -> dict:
    return {"volunteer_id": (await w.volunteer()).id, "relative_number": (await w.volunteer()).number,
            "relation": "配偶"}


CASES: dict[str, Case] = {
    # organisation
    "list districts": Case("GET", "/api/districts", expect(200, allow=EVERYONE_LOGGED_IN)),
    "create district": Case("POST", "/api/districts", expect(201, allow={ADMIN}, outsiders=403, members=403),
                            body=body(lambda w, n: {"name": f"新区{n}"})),
    "list streets": Case("GET", "/api/streets", expect(200, allow=EVERYONE_LOGGED_IN)),
    "create street": Case("POST", "/api/streets", expect(201, allow={ADMIN}, outsiders=403, members=403),
                          body=body(lambda w, n: {"district_id": w.org.district.id, "name": f"新街道{n}"})),
    "public communities": Case("GET", "/api/communities/public", expect(200, allow=set(ROLES))),
    "list communities": Case("GET", "/api/communities", expect(200, allow=EVERYONE_LOGGED_IN)),
    "create community": Case("POST", "/api/communities", expect(201, allow={ADMIN, STREET}, outsiders=403),
                             body=body(lambda w, n: {"district_id": w.org.district.id, "street_id": w.org.street.id,
                                                     "name": f"新社区{n}", "code": f"NEW{n}"})),
    "get community": Case("GET", a("/api/communities/{A}"), expect(200, allow=LINKED_TO_A)),
    "update community": Case("PATCH", a("/api/communities/{A}"), expect(200), body={"contact_phone": "010-1"}),
    "list grids": Case("GET", a("/api/communities/{A}/grids"), expect(200, allow=LINKED_TO_A)),
    "create grid": Case("POST", a("/api/communities/{A}/grids"), expect(201),
                        body=body(lambda w, n: {"name": f"网格{n}"})),
    # teams
    "team kinds": Case("GET", "/api/teams/kinds", expect(200, allow=EVERYONE_LOGGED_IN)),
    "list teams": Case("GET", a("/api/teams?community_id={A}"), expect(200, allow=LINKED_TO_A)),
    "create team": Case("POST", "/api/teams", expect(201),
                        body=body(lambda w, n: {"community_id": w.org.community.id, "name": f"队{n}", "kind": "居民"})),
    "get team": Case("GET", a("/api/teams/{team}"), expect(200, allow=LINKED_TO_A)),
    "update team": Case("PATCH", a("/api/teams/{team}"), expect(200), body={"description": "每周巡逻"}),
    "team members": Case("GET", a("/api/teams/{team}/members"), expect(200, allow=MANAGERS | {LEADER})),
    "add members": Case("POST", a("/api/teams/{team}/members"), expect(200), body=_members_body),
    "remove member": Case("DELETE", fresh("/api/teams/{team}/members/{new}", _member), expect(204)),
    "team leaders": Case("GET", a("/api/teams/{team}/leaders"), expect(200, allow=LINKED_TO_A)),
    "assign leader": Case("POST", a("/api/teams/{team}/leaders"), expect(201), body=_with_account),
    "remove leader": Case("DELETE", fresh("/api/teams/{team}/leaders/{new}", World.leader_user), expect(204)),
    # volunteers
    "list volunteers": Case("GET", a("/api/volunteers?community_id={A}"), expect(200, allow=MANAGERS | {LEADER})),
    "create volunteer": Case("POST", "/api/volunteers", expect(201), body=body(lambda w, n: {
        "community_id": w.org.community.id, "real_name": f"新人{n}", "phone": f"136{n:08d}"})),
    "self-register": Case("POST", "/api/volunteers/register", expect(202, allow=set(ROLES)), body=body(lambda w, n: {
        "community_id": w.org.community.id, "real_name": f"报名{n}", "phone": f"135{n:08d}",
        "password": "long-enough-1"})),
    "my volunteer record": Case("GET", "/api/volunteers/me", expect(200, allow=VOLUNTEER_LOGINS, outsiders=403,
                                                                    members=403)),
    "get volunteer": Case("GET", a("/api/volunteers/{target}"), expect(200, allow=MANAGERS | {LEADER})),
    "update volunteer": Case("PATCH", a("/api/volunteers/{target}"), expect(200), body={"skill_tags": ["维修"]}),
    "approve volunteer": Case("POST", fresh("/api/volunteers/{new}/approve", _pending), expect(200)),
    "suspend volunteer": Case("POST", fresh("/api/volunteers/{new}/suspend", _active), expect(200),
                              body={"reason": "测试"}),
    "reactivate volunteer": Case("POST", fresh("/api/volunteers/{new}/reactivate", _suspended), expect(200)),
    "volunteer leaves": Case("POST", fresh("/api/volunteers/{new}/leave", _active), expect(200)),
    "import roster": Case("POST", a("/api/volunteers/import?community_id={A}&dry_run=true"), expect(200),
                          files=lambda w: {"file": ("r.xlsx", xlsx([["甲", 13900000001]], header=["姓名", "手机号"]))}),
    # accounts
    "who am I": Case("GET", "/api/auth/me", expect(200, allow=EVERYONE_LOGGED_IN)),
    "change password": Case("POST", "/api/auth/password", expect(204, allow=EVERYONE_LOGGED_IN),
                            body={"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    "log out": Case("POST", "/api/auth/logout", expect(204, allow=EVERYONE_LOGGED_IN), fresh_token=True),
    "list staff": Case("GET", a("/api/users?community_id={A}"), expect(200)),
    "create staff": Case("POST", "/api/users", expect(201, allow={ADMIN, STREET}, organiser=403),
                         body=body(lambda w, n: {"display_name": f"社工{n}", "username": f"staff{n}",
                                                 "password": "first-pass-1", "role": "organiser",
                                                 "community_id": w.org.community.id})),
    "grant role": Case("POST", fresh("/api/users/{new}/grants", World.plain_user), expect(201),
                       body=_leader_grant),
    "revoke role": Case("DELETE", fresh("/api/users/grants/{new}", World.clerk_grant), expect(204)),
    "reset a staff password": Case("POST", fresh("/api/users/{new}/password-reset", World.clerk_user), expect(200),
                                   body={"new_password": NEW_PASSWORD}),
    "disable a staff login": Case("POST", fresh("/api/users/{new}/disable", World.clerk_user), expect(200),
                                  body={"reason": "离职"}),
    "enable a staff login": Case("POST", fresh("/api/users/{new}/enable", World.clerk_user), expect(200)),
    "lift a login wait": Case("POST", fresh("/api/users/{new}/unlock", World.clerk_user), expect(200)),
    # audit
    "audit of A": Case("GET", a("/api/audit?community_id={A}"), expect(200)),
    "audit of my communities": Case("GET", "/api/audit", expect(200, allow=MANAGERS | {ORGANISER_B}, outsiders=403)),
    # family links (points domain): the organiser side
    "login claims of A": Case("GET", a("/api/communities/{A}/login-claims"), expect(200)),
    "family links of A": Case("GET", a("/api/communities/{A}/family-links"), expect(200)),
    "record a family link": Case("POST", a("/api/communities/{A}/family-links"), expect(201), body=_family_record),
    # what a volunteer's login reads of its own in any state, and what only an active volunteer does
    "my rank": Case("GET", "/api/leaderboards/me", expect(200, allow=VOLUNTEER_LOGINS, outsiders=403)),
    "my attendance": Case("GET", "/api/attendance/mine", expect(200, allow=VOLUNTEER_LOGINS, outsiders=403)),
    "my redemption code": Case("GET", "/api/me/redemption-code", expect(200, allow=ACTIVE_VOLUNTEERS, outsiders=403)),
    "my short redemption code": Case("POST", "/api/me/redemption-codes",
                                     expect(201, allow=ACTIVE_VOLUNTEERS, outsiders=403)),
    "donate points": Case("POST", "/api/transfers", expect(409, allow=ACTIVE_VOLUNTEERS, outsiders=403),
                          body=body(lambda w, n: {"amount": 1, "idempotency_key": f"k{n}",
                                                  "to_pool_community_id": w.org.community.id})),
    "ask for a certificate": Case("POST", "/api/certificates/requests",
                                  expect(201, allow=ACTIVE_VOLUNTEERS, outsiders=403),
                                  body={"period_start": "2026-01-01", "period_end": "2026-01-31"}),
    "activities of A": Case("GET", a("/api/activities?community_id={A}"), expect(200, allow=LINKED_TO_A)),
    "stores of A": Case("GET", a("/api/stores?community_id={A}"), expect(200, allow=LINKED_TO_A)),
    # printed cards (item 8): the volunteer, their own team leaders, their community's organisers
    "card of a team member": Case("GET", a("/api/volunteers/{target}/qr-card"), expect(200, allow=MANAGERS | {LEADER})),
    "card of someone in no team": Case("GET", fresh("/api/volunteers/{new}/qr-card", _active), expect(200)),
    "reissue a card": Case("POST", a("/api/volunteers/{target}/qr-card/reissue"), expect(200),
                           body={"reason": "遗失"}),
    "my card PIN": Case("GET", "/api/me/card-pin", expect(200, allow=VOLUNTEER_LOGINS, outsiders=403)),
    "set my card PIN": Case("PUT", "/api/me/card-pin", expect(200, allow=VOLUNTEER_LOGINS, outsiders=403),
                            body={"password": NEW_PASSWORD, "pin": "270419"}),  # after "change password"
    "reset a card PIN": Case("POST", a("/api/volunteers/{target}/card-pin/reset"), expect(200),
                             body={"reason": "忘记密码", "pin": "502938"}),
    # the exported record (records domain): the community's export, a volunteer's 志愿服务记录表, one's own
    "service records of A": Case("GET", a("/api/records/export?scope=community:{A}&from=2026-10&to=2026-10"),
                                 expect(200)),
    "service record of a volunteer": Case("GET", a("/api/volunteers/{target}/service-record.pdf"), expect(200)),
    "my service record": Case("GET", "/api/me/service-record.pdf",
                              expect(200, allow=VOLUNTEER_LOGINS, outsiders=403)),
}



async def _in_state(session: Any, org: Org, status: str) -> Person:
    """A volunteer of A with a login, in the given state."""
    return await make_person(session, Role.VOLUNTEER, community=org.community,
                             volunteer=await make_volunteer(session, org.community, status=status))


async def _team_member(session: Any, org: Org, team: Any, status: str) -> Volunteer:
    volunteer = await make_volunteer(session, org.community, status=status)
    await make_team_member(session, team.id, volunteer.id)
    return volunteer


async def _world(session: Any) -> World:
    org = await make_org(session)
    team = await make_team(session, org.community)
    team_b = await make_team(session, org.other)
    target = await make_volunteer(session, org.community, name="目标志愿者", phone="13811112222")
    await make_team_member(session, team.id, target.id)
    people = {
        ADMIN: await make_person(session, Role.PLATFORM_ADMIN),
        STREET: await make_person(session, Role.STREET_ADMIN, street=org.street),
        ORGANISER: await make_person(session, Role.ORGANISER, community=org.community),
        LEADER: await make_person(session, Role.TEAM_LEADER, community=org.community, team=team),
        VOLUNTEER: await make_person(session, Role.VOLUNTEER, community=org.community),
        CLERK: await make_person(session, Role.STORE_CLERK, community=org.community, store_id=1),
        ORGANISER_B: await make_person(session, Role.ORGANISER, community=org.other),
        LEADER_B: await make_person(session, Role.TEAM_LEADER, community=org.other, team=team_b),
        VOLUNTEER_B: await make_person(session, Role.VOLUNTEER, community=org.other),
        PENDING: await _in_state(session, org, VolunteerStatus.PENDING),
        SUSPENDED: await _in_state(session, org, VolunteerStatus.SUSPENDED),
        LEFT: await _in_state(session, org, VolunteerStatus.LEFT),
        LEADER_SUSPENDED: await make_person(session, Role.TEAM_LEADER, community=org.community, team=team,
                                            volunteer=await _team_member(session, org, team, VolunteerStatus.SUSPENDED)),
        DEACTIVATED: await make_person(session, Role.ORGANISER, community=org.community),
    }
    people[DEACTIVATED].user.is_active = False
    await session.commit()
    return World(session=session, org=org, people=people, team=team, target=target)


async def test_every_endpoint_with_every_role(client, session, monkeypatch) -> None:  # noqa: ANN001
    # Every actor signs up from the one test address; the per-address sign-up limit has its own tests.
    monkeypatch.setattr(volunteer_routes, "REGISTRATIONS_PER_HOUR", 1000)
    world = await _world(session)
    failures = []
    for name, case in CASES.items():
        for role in ROLES:
            headers = {}
            if role != ANON:
                person = world.people[role]
                token = person.token
                if case.fresh_token:
                    token = await open_session(session, user_id=person.user.id)
                    await session.commit()
                headers = {"Authorization": f"Bearer {token}"}
            path = await _value(case.path, world)
            payload = await _value(case.body, world)
            kwargs: dict[str, Any] = {"headers": headers}
            if case.files:
                kwargs["files"] = case.files(world)
            elif payload is not None or case.method in {"POST", "PATCH", "PUT"}:
                kwargs["json"] = payload
            response = await client.request(case.method, path, **kwargs)
            wanted = case.expected[role]
            if response.status_code != wanted:
                failures.append(f"{name} as {role}: {response.status_code} (wanted {wanted}) {response.text[:160]}")
            elif response.status_code in {403, 404} and (world.target.real_name in response.text
                                                           or world.target.phone in response.text):
                failures.append(f"{name} as {role}: refusal leaks the volunteer's data")
    assert not failures, "\n".join(failures)
