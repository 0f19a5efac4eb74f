"""Double scans at the same moment on PostgreSQL: one record, every scan answered with it."""

from __future__ import annotations

import asyncio

import pytest

from servicebank.accounts.models import Role
from servicebank.checkins import service, tokens
from servicebank.checkins.service import Scanner
from tests.checkins.helpers import attendance_count, code, event_types, scene, utcnow
from tests.factories import make_person


def _scanner(s) -> Scanner:  # noqa: ANN001
    v = s.volunteer.volunteer
    return Scanner(volunteer_id=v.id, volunteer_community_id=v.community_id)


@pytest.mark.postgres_only
async def test_simultaneous_check_ins_make_one_record(session, settings, db) -> None:
    s = await scene(session)
    token = code(settings, s.activity.id)

    async def one_scan():  # noqa: ANN202
        async with db.session_scope() as tx:
            result = await service.check_in(tx, settings=settings, token=token, scanner=_scanner(s), now=utcnow())
            return result.created, result.attendance.id

    results = await asyncio.gather(*(one_scan() for _ in range(12)))
    assert sum(created for created, _ in results) == 1
    assert len({attendance_id for _, attendance_id in results}) == 1
    assert await attendance_count(db) == 1
    assert await event_types(db) == []


@pytest.mark.postgres_only
async def test_simultaneous_check_outs_close_once(client, session, settings, db) -> None:
    s = await scene(session)
    await client.post("/api/check-ins", json={"token": code(settings, s.activity.id)}, headers=s.volunteer.headers)
    token = code(settings, s.activity.id, tokens.CHECK_OUT)
    responses = await asyncio.gather(*(
        client.post("/api/check-outs", json={"token": token}, headers=s.volunteer.headers) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert await event_types(db) == []  # closed once, and nothing but the row records it


@pytest.mark.postgres_only
async def test_simultaneous_walk_ins_never_pass_capacity(client, session, settings, db) -> None:
    # Capacity 3 with one confirmed place leaves 2 for walk-ins; 15 scan at once through the app.
    s = await scene(session, capacity=3)
    walkers = [await make_person(session, Role.VOLUNTEER, community=s.org.community) for _ in range(15)]
    token = code(settings, s.activity.id)
    responses = await asyncio.gather(*(
        client.post("/api/check-ins", json={"token": token}, headers=w.headers) for w in walkers))
    assert sorted(r.status_code for r in responses) == [201] * 2 + [409] * 13
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"activity_full"}
    assert await attendance_count(db) == 2
    # The confirmed volunteer still gets in: the count never turns away a held place.
    confirmed = await client.post("/api/check-ins", json={"token": token}, headers=s.volunteer.headers)
    assert confirmed.status_code == 201


@pytest.mark.postgres_only
async def test_simultaneous_walk_ins_fill_only_the_places_of_those_who_left(client, session, settings, db) -> None:
    # Capacity 3, one confirmed place, and a walk-in who came and left: two places are free again, not one.
    s = await scene(session, capacity=3)
    early = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    assert (await client.post("/api/check-ins", json={"token": code(settings, s.activity.id)},
                              headers=early.headers)).status_code == 201
    assert (await client.post("/api/check-outs", json={"token": code(settings, s.activity.id, tokens.CHECK_OUT)},
                              headers=early.headers)).status_code == 201
    walkers = [await make_person(session, Role.VOLUNTEER, community=s.org.community) for _ in range(12)]
    token = code(settings, s.activity.id)
    responses = await asyncio.gather(*(
        client.post("/api/check-ins", json={"token": token}, headers=w.headers) for w in walkers))
    assert sorted(r.status_code for r in responses) == [201] * 2 + [409] * 10
    assert await attendance_count(db) == 3
