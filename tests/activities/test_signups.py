"""Signing up: capacity, waitlist order, withdrawal and promotion, refusals; concurrency on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.activities import signups
from servicebank.activities.models import Signup
from servicebank.kernel.events import OutboxEvent
from tests.activities.conftest import at, create
from tests.factories import make_person, make_team, make_volunteer


async def _people(session, world, n):  # noqa: ANN001, ANN202
    return [await make_person(session, Role.VOLUNTEER, community=world.org.community) for _ in range(n)]


async def test_full_activity_waitlists_and_withdrawal_promotes(client, world, session, db) -> None:  # noqa: ANN001
    activity = await create(client, world, capacity=2)
    aid = activity["id"]
    people = await _people(session, world, 4)
    results = []
    for person in people:
        r = await client.post(f"/api/activities/{aid}/signups", headers=person.headers)
        assert r.status_code == 201, r.text
        results.append((r.json()["status"], r.json()["position"]))
    assert results == [("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]
    r = await client.get(f"/api/activities/{aid}", headers=people[3].headers)
    assert r.json()["confirmed_count"] == 2 and r.json()["waitlist_count"] == 2
    assert r.json()["my_waitlist_position"] == 2 and r.json()["can_sign_up"] is False
    r = await client.delete(f"/api/activities/{aid}/signups/me", headers=people[0].headers)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = await client.get(f"/api/activities/{aid}/signups", headers=world.organiser.headers)
    assert [(s["volunteer_id"], s["status"], s["position"]) for s in r.json()] == [
        (people[1].volunteer.id, "confirmed", None), (people[2].volunteer.id, "confirmed", None),
        (people[3].volunteer.id, "waitlisted", 1)]
    # Leaving the waitlist closes the gap; signing up again goes to the back of the line.
    r = await client.delete(f"/api/activities/{aid}/signups/me", headers=people[3].headers)
    assert r.status_code == 200
    r = await client.post(f"/api/activities/{aid}/signups", headers=people[0].headers)
    assert (r.json()["status"], r.json()["position"]) == ("waitlisted", 1)
    async with db.session_scope() as s:
        types = (await s.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id))).all()
    assert types.count("signup.promoted") == 1 and "signup.withdrawn" not in types  # nothing consumes it
    assert types.count("signup.waitlisted") == 3 and types.count("signup.confirmed") == 2


async def test_raising_capacity_promotes_and_lowering_below_signups_is_refused(client, world, session) -> None:  # noqa: ANN001
    activity = await create(client, world, capacity=1)
    aid = activity["id"]
    people = await _people(session, world, 3)
    for person in people:
        await client.post(f"/api/activities/{aid}/signups", headers=person.headers)
    r = await client.patch(f"/api/activities/{aid}", json={"capacity": 2}, headers=world.organiser.headers)
    assert r.json()["confirmed_count"] == 2 and r.json()["waitlist_count"] == 1
    r = await client.patch(f"/api/activities/{aid}", json={"capacity": 1}, headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "capacity_below_signups"
    r = await client.get(f"/api/activities/{aid}/signups", headers=world.organiser.headers)
    assert [s["position"] for s in r.json()] == [None, None, 1]


async def test_sign_up_refusals(client, world, session) -> None:  # noqa: ANN001
    v = world.volunteer
    activity = await create(client, world)
    aid = activity["id"]
    assert (await client.post(f"/api/activities/{aid}/signups", headers=v.headers)).status_code == 201
    r = await client.post(f"/api/activities/{aid}/signups", headers=v.headers)
    assert r.status_code == 409 and r.json()["code"] == "already_signed_up"
    started = await create(client, world, starts_at=at(-1), ends_at=at(1))
    r = await client.post(f"/api/activities/{started['id']}/signups", headers=v.headers)
    assert r.status_code == 409 and r.json()["code"] == "activity_started"
    cancelled = await create(client, world)
    await client.post(f"/api/activities/{cancelled['id']}/cancel", json={"reason": "暴雨"},
                      headers=world.organiser.headers)
    r = await client.post(f"/api/activities/{cancelled['id']}/signups", headers=v.headers)
    assert r.status_code == 409 and r.json()["code"] == "activity_cancelled"
    team = await make_team(session, world.org.community)
    team_only = await create(client, world, team_ids=[team.id])
    r = await client.post(f"/api/activities/{team_only['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "team_only"
    skilled = await create(client, world, required_skill="医疗")
    r = await client.post(f"/api/activities/{skilled['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "skill_required"
    outsider = await make_person(session, Role.VOLUNTEER, community=world.org.other)
    r = await client.post(f"/api/activities/{aid}/signups", headers=outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "activity_not_found"
    r = await client.delete(f"/api/activities/{skilled['id']}/signups/me", headers=v.headers)
    assert r.status_code == 404 and r.json()["code"] == "not_signed_up"
    r = await client.post(f"/api/activities/{aid}/signups", headers=world.organiser.headers)
    assert r.status_code == 403 and r.json()["code"] == "volunteer_required"
    # Nothing was written by the refusals.
    assert await session.scalar(select(func.count(Signup.id))) == 1


async def test_team_member_and_staff_on_behalf(client, world, session) -> None:  # noqa: ANN001
    member = await make_volunteer(session, world.org.community, skill_tags=["医疗"])
    team = await make_team(session, world.org.community, members=[member])
    activity = await create(client, world, team_ids=[team.id], required_skill="医疗")
    r = await client.post(f"/api/activities/{activity['id']}/signups", json={"volunteer_id": member.id},
                          headers=world.organiser.headers)
    assert r.status_code == 201 and r.json()["status"] == "confirmed"
    r = await client.post(f"/api/activities/{activity['id']}/signups", json={"volunteer_id": member.id},
                          headers=world.volunteer.headers)
    assert r.status_code == 403
    r = await client.delete(f"/api/activities/{activity['id']}/signups/{member.id}", headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


async def test_my_activities(client, world) -> None:  # noqa: ANN001
    first = await create(client, world, title="A", starts_at=at(30), ends_at=at(31))
    second = await create(client, world, title="B", starts_at=at(20), ends_at=at(21))
    for a in (first, second):
        await client.post(f"/api/activities/{a['id']}/signups", headers=world.volunteer.headers)
    r = await client.get("/api/me/activities", headers=world.volunteer.headers)
    assert [m["activity"]["title"] for m in r.json()] == ["B", "A"]
    assert all(m["signup"]["status"] == "confirmed" for m in r.json())


@pytest.mark.postgres_only
async def test_200_concurrent_sign_ups_to_50_places(client, world, db, session) -> None:  # noqa: ANN001
    activity = await create(client, world, capacity=50)
    aid = activity["id"]
    volunteers = [await make_volunteer(session, world.org.community) for _ in range(200)]

    async def one(volunteer_id: int) -> None:
        async with db.session_scope() as s:
            await signups.sign_up(s, activity_id=aid, volunteer_id=volunteer_id)

    await asyncio.gather(*(one(v.id) for v in volunteers))
    async with db.session_scope() as s:
        rows = (await s.scalars(select(Signup).where(Signup.activity_id == aid).order_by(Signup.id))).all()
    confirmed = [r for r in rows if r.status == "confirmed"]
    waiting = [r for r in rows if r.status == "waitlisted"]
    assert len(confirmed) == 50 and len(waiting) == 150
    # In order: the line follows the order the places were taken, 1..150 without gaps or repeats.
    assert [r.position for r in waiting] == list(range(1, 151))
    assert all(r.id > max(c.id for c in confirmed) for r in waiting)

    # Concurrent withdrawals of 10 confirmed people promote exactly the first 10 in line.
    leaving = [r.volunteer_id for r in confirmed[:10]]
    first_ten = [r.volunteer_id for r in waiting[:10]]

    async def leave(volunteer_id: int) -> None:
        async with db.session_scope() as s:
            await signups.withdraw(s, activity_id=aid, volunteer_id=volunteer_id)

    await asyncio.gather(*(leave(v) for v in leaving))
    async with db.session_scope() as s:
        rows = (await s.scalars(select(Signup).where(Signup.activity_id == aid))).all()
    by_volunteer = {r.volunteer_id: r for r in rows}
    assert sum(r.status == "confirmed" for r in rows) == 50
    assert all(by_volunteer[v].status == "confirmed" for v in first_ten)
    assert sorted(r.position for r in rows if r.status == "waitlisted") == list(range(1, 141))
