"""Arranging a community with an organiser, a grid worker, volunteers and a resident's household."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, User
from servicebank.accounts.sessions import load_principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError
from servicebank.requests import dispatch
from servicebank.requests.models import Household
from tests.factories import Org, Person, make_org, make_person, make_team


@dataclasses.dataclass
class Street:
    org: Org
    organiser: Person
    grid_worker: Person  # a team leader: 网格员
    helper: Person  # volunteer who serves
    second: Person  # another volunteer of the community
    resident: Person  # a volunteer login linked to the household (pays with own coins)
    outsider: Person  # a volunteer of the neighbouring community
    household: Household


async def make_street(session: AsyncSession) -> Street:
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community, name="社工小张")
    helper = await make_person(session, Role.VOLUNTEER, community=org.community, name="李志愿")
    second = await make_person(session, Role.VOLUNTEER, community=org.community, name="王志愿")
    resident = await make_person(session, Role.VOLUNTEER, community=org.community, name="赵阿姨")
    outsider = await make_person(session, Role.VOLUNTEER, community=org.other, name="外社区")
    team = await make_team(session, org.community, name="第一网格服务队")
    grid_worker = await make_person(session, Role.TEAM_LEADER, community=org.community, team=team, name="网格员刘")
    household = Household(community_id=org.community.id, grid_id=org.grid.id, building="3号楼", unit="2单元301",
                          name="赵阿姨", phone="13800001111", volunteer_id=resident.volunteer.id)
    session.add(household)
    await session.commit()
    return Street(org, organiser, grid_worker, helper, second, resident, outsider, household)


def window(hours_from_now: float = 2, length_hours: float = 2) -> dict[str, str]:
    start = utcnow() + dt.timedelta(hours=hours_from_now)
    return {"start": start.isoformat(), "end": (start + dt.timedelta(hours=length_hours)).isoformat()}


async def category_id(client: httpx.AsyncClient, street: Street, name: str = "代购") -> int:
    r = await client.get(f"/api/communities/{street.org.community.id}/request-categories",
                         headers=street.organiser.headers)
    assert r.status_code == 200, r.text
    return next(c["id"] for c in r.json() if c["name"] == name)


async def order(client: httpx.AsyncClient, street: Street, *, by: Person | None = None, **fields: object) -> dict:
    body = {"household_id": street.household.id, "category_id": await category_id(client, street),
            "description": "帮忙买米和油", "windows": [window()], **fields}
    r = await client.post("/api/requests", json=body, headers=(by or street.grid_worker).headers)
    assert r.status_code == 201, r.text
    return r.json()


async def open_in_hall(client: httpx.AsyncClient, street: Street, **fields: object) -> int:
    request_id = (await order(client, street, **fields))["id"]
    h = street.organiser.headers
    assert (await client.post(f"/api/requests/{request_id}/review", json={"approve": True}, headers=h)).status_code == 200
    r = await client.post(f"/api/requests/{request_id}/dispatch", json={"open_to_hall": True}, headers=h)
    assert r.json()["status"] == "open", r.text
    return request_id


async def principal_of(db: Any, user_id: int) -> Any:
    """The principal of a login, as a request would load it."""
    async with db.session_scope() as s:
        return await load_principal(s, await s.get(User, user_id))


async def accept_all_at_once(db: Any, principals: list[Any], request_id: int) -> list[str]:
    """Every principal accepts the request at once, each in its own transaction: "ok" or the refusal's code."""

    async def attempt(principal: Any) -> str:
        try:
            async with db.session_scope() as s:
                await dispatch.accept(s, principal=principal, request_id=request_id)
        except DomainError as exc:
            return exc.code
        return "ok"

    return list(await asyncio.gather(*(attempt(p) for p in principals)))
