"""Insurance cover (保险): what requires it, a volunteer's own or an activity's group policy, the sign-up and the
request acceptance refused without cover on the day (stable code, nothing written), masking and the audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.activities.models import Signup
from servicebank.audit.models import AuditEntry
from servicebank.kernel.db import local_date
from servicebank.kernel.events import OutboxEvent
from servicebank.records.models import InsuranceCover
from servicebank.requests.models import ServiceRequest
from tests.activities.conftest import create
from tests.factories import make_person
from tests.requests.support import category_id, make_street, open_in_hall


def _day(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def _cover(**overrides: object) -> dict[str, object]:
    return {"insurer": "中国人寿", "policy_number": "PICC 2026 0088 1234", "valid_from": _day(-1),
            "valid_until": _day(364), **overrides}


async def _written(db) -> tuple[int, int]:  # noqa: ANN001
    async with db.session_scope() as s:
        return (int(await s.scalar(select(func.count(Signup.id)))), int(await s.scalar(select(func.count(OutboxEvent.id)))))


async def test_a_patrol_that_requires_cover_refuses_the_uninsured_until_their_cover_is_recorded(
        client, world, db) -> None:  # noqa: ANN001
    cid, v, o = world.org.community.id, world.volunteer, world.organiser.headers
    r = await client.put(f"/api/communities/{cid}/cover-requirements", json={"kind": "patrol"}, headers=v.headers)
    assert r.status_code == 403
    r = await client.put(f"/api/communities/{cid}/cover-requirements", json={}, headers=o)
    assert r.status_code == 422 and r.json()["code"] == "cover_requirement_target"
    r = await client.put(f"/api/communities/{cid}/cover-requirements", json={"kind": "no_such"}, headers=o)
    assert r.status_code == 422 and r.json()["code"] == "unknown_kind"
    r = await client.put(f"/api/communities/{cid}/cover-requirements", json={"kind": "patrol"}, headers=o)
    assert r.status_code == 200 and r.json() == [{"kind": "patrol", "request_category_id": None}]
    patrol = await create(client, world, kind="patrol", title="夜间巡逻")
    before = await _written(db)
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "insurance_required", r.text
    assert r.json()["missing"] == ["insurance"] and r.json()["kind"] == "patrol"
    assert await _written(db) == before
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers={**v.headers, "Accept-Language": "zh-CN"})
    assert "保险" in r.text
    # Staff signing up on the volunteer's behalf do not skip it.
    r = await client.post(f"/api/activities/{patrol['id']}/signups", json={"volunteer_id": v.volunteer.id}, headers=o)
    assert r.status_code == 403 and r.json()["code"] == "insurance_required"
    # Bad cover: stable code, nothing written.
    for bad in (_cover(insurer=""), _cover(policy_number="12"), _cover(valid_from=_day(10), valid_until=_day(5)),
                _cover(valid_from=_day(-30), valid_until=_day(-1))):
        r = await client.post(f"/api/volunteers/{v.volunteer.id}/insurance", json=bad, headers=o)
        assert r.status_code == 422 and r.json()["code"] == "invalid_cover", (bad, r.text)
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/insurance", json=_cover(), headers=v.headers)
    assert r.status_code == 403  # a volunteer does not record their own cover: the organiser has seen the policy
    # Cover that ends before the patrol's day does not count.
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/insurance", json=_cover(valid_until=_day(1)), headers=o)
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "insurance_required"
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/insurance", json=_cover(), headers=o)
    assert r.status_code == 201
    cover = r.json()
    assert cover["policy_number_masked"] == "PI**********1234" and cover["state"] == "valid"
    assert cover["volunteer_id"] == v.volunteer.id and cover["activity_id"] is None
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers=v.headers)
    assert r.status_code == 201 and r.json()["status"] == "confirmed"
    r = await client.get("/api/me/insurance", headers=v.headers)
    assert [c["state"] for c in r.json()] == ["valid", "expiring"]
    async with db.session_scope() as s:
        stored = (await s.scalars(select(InsuranceCover.policy_number_masked))).all()
        actions = [a for a in (await s.scalars(select(AuditEntry.action))).all() if "cover" in a]
    assert all("0088" not in n for n in stored)
    assert actions.count("insurance_cover.record") == 2 and "cover_requirement.require" in actions
    # Lifting the requirement lets anyone sign up again.
    r = await client.put(f"/api/communities/{cid}/cover-requirements", json={"kind": "patrol", "required": False},
                         headers=o)
    assert r.json() == []


async def test_an_activitys_group_policy_covers_everyone_signed_up(client, world, db) -> None:  # noqa: ANN001
    cid, v, o = world.org.community.id, world.volunteer, world.organiser.headers
    await client.put(f"/api/communities/{cid}/cover-requirements", json={"kind": "cleanup"}, headers=o)
    snow = await create(client, world, kind="cleanup", title="扫雪除冰")
    r = await client.post(f"/api/activities/{snow['id']}/insurance", json=_cover(insurer="团体意外险"),
                          headers=v.headers)
    assert r.status_code == 403
    other = await create(client, world, kind="cleanup", title="另一次扫雪")
    r = await client.post(f"/api/activities/{other['id']}/insurance", json=_cover(), headers=o)
    assert r.status_code == 201 and r.json()["activity_id"] == other["id"]
    # Another activity's group policy covers nobody here.
    r = await client.post(f"/api/activities/{snow['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "insurance_required"
    r = await client.post(f"/api/activities/{snow['id']}/insurance", json=_cover(insurer="团体意外险"), headers=o)
    assert r.status_code == 201
    r = await client.get(f"/api/activities/{snow['id']}/insurance", headers=o)
    assert [c["insurer"] for c in r.json()] == ["团体意外险"]
    r = await client.post(f"/api/activities/{snow['id']}/signups", headers=v.headers)
    assert r.status_code == 201, r.text


async def test_outsiders_neither_read_nor_record_cover(client, world, session) -> None:  # noqa: ANN001
    stranger = await make_person(session, Role.ORGANISER, community=world.org.other)
    v = world.volunteer
    r = await client.get(f"/api/volunteers/{v.volunteer.id}/insurance", headers=stranger.headers)
    assert r.status_code == 404
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/insurance", json=_cover(), headers=stranger.headers)
    assert r.status_code == 404
    patrol = await create(client, world, kind="patrol")
    r = await client.post(f"/api/activities/{patrol['id']}/insurance", json=_cover(), headers=stranger.headers)
    assert r.status_code == 404 and r.json()["code"] == "activity_not_found"


async def test_a_request_category_that_requires_cover_refuses_accepting_and_assigning(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    cid, o = street.org.community.id, street.organiser.headers
    care = await category_id(client, street)
    r = await client.put(f"/api/communities/{cid}/cover-requirements", json={"request_category_id": 999_999},
                         headers=o)
    assert r.status_code == 422 and r.json()["code"] == "request_category_unknown"
    r = await client.put(f"/api/communities/{cid}/cover-requirements", json={"request_category_id": care}, headers=o)
    assert r.json() == [{"kind": None, "request_category_id": care}]
    request_id = await open_in_hall(client, street)
    before = await _written(db)
    r = await client.post(f"/api/requests/{request_id}/accept", headers=street.helper.headers)
    assert r.status_code == 403 and r.json()["code"] == "insurance_required", r.text
    assert r.json()["request_category_id"] == care
    assert await _written(db) == before
    async with db.session_scope() as s:
        assert (await s.get(ServiceRequest, request_id)).status == "open"
    r = await client.post(f"/api/requests/{request_id}/dispatch", json={"volunteer_id": street.helper.volunteer.id},
                          headers=o)
    assert r.status_code == 403 and r.json()["code"] == "insurance_required"
    r = await client.post(f"/api/volunteers/{street.helper.volunteer.id}/insurance", json=_cover(), headers=o)
    assert r.status_code == 201
    r = await client.post(f"/api/requests/{request_id}/accept", headers=street.helper.headers)
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text


@pytest.mark.postgres_only
async def test_the_gate_on_postgresql_judges_the_activitys_local_day(client, world, db) -> None:  # noqa: ANN001
    """On PostgreSQL (dates compared in SQL, the activity row locked while the gate runs): cover ending the day
    before the activity is refused, cover starting on its day is accepted."""
    cid, v, o = world.org.community.id, world.volunteer, world.organiser.headers
    await client.put(f"/api/communities/{cid}/cover-requirements", json={"kind": "patrol"}, headers=o)
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    patrol = await create(client, world, kind="patrol", starts_at=starts.isoformat(),
                          ends_at=(starts + dt.timedelta(hours=2)).isoformat())
    async with db.session_scope() as s:
        day = local_date(s, starts)
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/insurance", headers=o,
                          json=_cover(valid_from=_day(0), valid_until=(day - dt.timedelta(days=1)).isoformat()))
    assert r.status_code == 201
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "insurance_required" and r.json()["on"] == day.isoformat()
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/insurance", headers=o,
                          json=_cover(valid_from=day.isoformat(), valid_until=day.isoformat()))
    assert r.status_code == 201 and r.json()["state"] == "upcoming"
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers=v.headers)
    assert r.status_code == 201 and r.json()["status"] == "confirmed"
