"""Trainings an activity kind or a request category requires (培训要求): set and lifted by organisers (audited), the
sign-up and the taking of a request refused without the training (stable code naming the category, nothing
written), a recorded course or an attended training activity then letting the volunteer through, the months window,
outsiders refused, and the sign-up list and its refusal in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.activities.models import Signup
from servicebank.audit.models import AuditEntry
from servicebank.checkins.models import AttendanceStatus
from servicebank.kernel.events import OutboxEvent
from servicebank.requests.models import ServiceRequest
from tests.activities.conftest import create
from tests.factories import make_person
from tests.ledger.helpers import attend, decide, make_activity, settle
from tests.records.conftest import world  # noqa: F401 - the fixture
from tests.requests.support import category_id, make_street, open_in_hall
from tests.web.pages import log_in, post, text_of


def _course(*, category: str = "pre_service", trained_on: dt.date | None = None) -> dict[str, object]:
    return {"category": category, "title": "助老服务岗前培训", "provider": "街道社工站",
            "trained_on": (trained_on or dt.date.today()).isoformat(), "minutes": 90}


async def _written(db) -> tuple[int, int]:  # noqa: ANN001
    async with db.session_scope() as s:
        return (int(await s.scalar(select(func.count(Signup.id)))),
                int(await s.scalar(select(func.count(OutboxEvent.id)))))


async def test_a_kind_requiring_a_training_refuses_sign_up_until_a_course_is_recorded(
        client, world, db) -> None:  # noqa: ANN001, F811
    cid, v, o = world.org.community.id, world.volunteer, world.organiser.headers
    url = f"/api/communities/{cid}/training-requirements"
    r = await client.put(url, json={"kind": "patrol", "category": "pre_service"}, headers=v.headers)
    assert r.status_code == 403
    for bad, code in [({"category": "pre_service"}, "training_requirement_target"),
                      ({"kind": "patrol", "request_category_id": 1, "category": "general"},
                       "training_requirement_target"),
                      ({"kind": "no_such", "category": "general"}, "unknown_kind"),
                      ({"kind": "patrol", "category": "first_aid"}, "invalid_training_requirement"),
                      ({"kind": "patrol", "category": "general", "within_months": 0}, "invalid_training_requirement"),
                      ({"kind": "patrol", "category": "general", "within_months": 121},
                       "invalid_training_requirement")]:
        r = await client.put(url, json=bad, headers=o)
        assert r.status_code == 422 and r.json()["code"] == code, (bad, r.text)
    assert (await client.get(url, headers=v.headers)).json() == []
    r = await client.put(url, json={"kind": "patrol", "category": "pre_service"}, headers=o)
    assert r.status_code == 200
    assert r.json() == [{"kind": "patrol", "request_category_id": None, "category": "pre_service",
                         "within_months": None}]
    patrol = await create(client, world, kind="patrol", title="夜间巡逻")
    before = await _written(db)
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers={**v.headers, "Accept-Language": "zh-CN"})
    assert r.status_code == 403 and r.json()["code"] == "training_required", r.text
    body = r.json()
    assert (body["missing"], body["missing_names"], body["kind"]) == (["pre_service"], ["岗前培训"], "patrol")
    assert body["missing_trainings"] == [{"category": "pre_service", "name": "岗前培训", "within_months": None}]
    assert "培训" in body["message_zh"]
    assert await _written(db) == before
    # Staff signing up on the volunteer's behalf do not skip it.
    r = await client.post(f"/api/activities/{patrol['id']}/signups", json={"volunteer_id": v.volunteer.id}, headers=o)
    assert r.status_code == 403 and r.json()["code"] == "training_required"
    # A training of another category does not count.
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/trainings", json=_course(category="general"), headers=o)
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "training_required"
    assert await _written(db) == before
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/trainings", json=_course(), headers=o)
    assert r.status_code == 201
    r = await client.post(f"/api/activities/{patrol['id']}/signups", headers=v.headers)
    assert r.status_code == 201 and r.json()["status"] == "confirmed", r.text
    # Lifting it: listed no more, and audited both ways.
    r = await client.put(url, json={"kind": "patrol", "category": "pre_service", "required": False}, headers=o)
    assert r.status_code == 200 and r.json() == []
    async with db.session_scope() as s:
        actions = [a for a in (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all() if a.startswith("training_req")]
    assert actions == ["training_requirement.require", "training_requirement.lift"]


async def test_the_months_window_counts_back_from_the_activitys_day(client, world, session) -> None:  # noqa: ANN001, F811
    cid, v, o = world.org.community.id, world.volunteer, world.organiser.headers
    url = f"/api/communities/{cid}/training-requirements"
    r = await client.put(url, json={"kind": "health_clinic", "category": "professional", "within_months": 12},
                         headers=o)
    assert r.json()[0]["within_months"] == 12
    clinic = await create(client, world, kind="health_clinic", title="义诊")
    too_old = dt.date.today() - relativedelta(months=12, days=5)
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/trainings",
                          json=_course(category="professional", trained_on=too_old), headers=o)
    assert r.status_code == 201
    r = await client.post(f"/api/activities/{clinic['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "training_required"
    assert r.json()["missing_trainings"] == [{"category": "professional", "name": "专业培训", "within_months": 12}]
    # The organiser widens the window (the same requirement, changed): the old course counts again.
    r = await client.put(url, json={"kind": "health_clinic", "category": "professional", "within_months": 24},
                         headers=o)
    assert [x["within_months"] for x in r.json()] == [24]
    r = await client.post(f"/api/activities/{clinic['id']}/signups", headers=v.headers)
    assert r.status_code == 201, r.text
    # Back to 12 months: a course 11 months ago counts for the next volunteer, one 12 months and 5 days ago does not.
    await client.put(url, json={"kind": "health_clinic", "category": "professional", "within_months": 12}, headers=o)
    other = await make_person(session, Role.VOLUNTEER, community=world.org.community)
    r = await client.post(f"/api/volunteers/{other.volunteer.id}/trainings", headers=o,
                          json=_course(category="professional", trained_on=dt.date.today() - relativedelta(months=11)))
    assert r.status_code == 201
    r = await client.post(f"/api/activities/{clinic['id']}/signups", headers=other.headers)
    assert r.status_code == 201, r.text


async def test_attending_a_training_activity_counts_and_a_declined_one_does_not(
        client, world, db, session) -> None:  # noqa: ANN001, F811
    cid, v, o = world.org.community.id, world.volunteer, world.organiser.headers
    await client.put(f"/api/communities/{cid}/training-requirements", json={"kind": "elderly_visit",
                     "category": "pre_service", "within_months": 6}, headers=o)
    visit = await create(client, world, kind="elderly_visit", title="探访独居老人")
    course = await make_activity(session, world.org.community, kind="training_pre_service")
    att = await attend(session, course, v.volunteer, minutes=90, service_date=dt.date.today() - dt.timedelta(days=7))
    await settle(db)
    r = await client.post(f"/api/activities/{visit['id']}/signups", headers=v.headers)
    assert r.status_code == 201, r.text
    # The attendance declined: its record stays with 0 minutes, and it is no training.
    await decide(session, att, status=AttendanceStatus.DECLINED, event="attendance.declined")
    await settle(db)
    next_visit = await create(client, world, kind="elderly_visit", title="再次探访")
    r = await client.post(f"/api/activities/{next_visit['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "training_required", r.text


async def test_a_request_category_requiring_a_training_refuses_accepting_and_assigning(
        client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    cid, o, helper = street.org.community.id, street.organiser.headers, street.helper
    care = await category_id(client, street)
    url = f"/api/communities/{cid}/training-requirements"
    r = await client.put(url, json={"request_category_id": 999_999, "category": "general"}, headers=o)
    assert r.status_code == 422 and r.json()["code"] == "request_category_unknown"
    r = await client.put(url, json={"request_category_id": care, "category": "general"}, headers=o)
    assert r.json() == [{"kind": None, "request_category_id": care, "category": "general", "within_months": None}]
    request_id = await open_in_hall(client, street)
    before = await _written(db)
    r = await client.post(f"/api/requests/{request_id}/accept", headers=helper.headers)
    assert r.status_code == 403 and r.json()["code"] == "training_required", r.text
    assert r.json()["request_category_id"] == care and r.json()["missing"] == ["general"]
    assert await _written(db) == before
    async with db.session_scope() as s:
        assert (await s.get(ServiceRequest, request_id)).status == "open"
    r = await client.post(f"/api/requests/{request_id}/dispatch", json={"volunteer_id": helper.volunteer.id},
                          headers=o)
    assert r.status_code == 403 and r.json()["code"] == "training_required"
    r = await client.post(f"/api/volunteers/{helper.volunteer.id}/trainings", json=_course(category="general"),
                          headers=o)
    assert r.status_code == 201
    r = await client.post(f"/api/requests/{request_id}/accept", headers=helper.headers)
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text


async def test_outsiders_neither_read_nor_set_requirements(client, world, session) -> None:  # noqa: ANN001, F811
    stranger = await make_person(session, Role.ORGANISER, community=world.org.other)
    url = f"/api/communities/{world.org.community.id}/training-requirements"
    # Another community's organiser does not learn the community exists (as for its other records).
    r = await client.put(url, json={"kind": "patrol", "category": "general"}, headers=stranger.headers)
    assert r.status_code == 404 and r.json()["code"] == "community_not_found", r.text
    r = await client.get(url, headers=stranger.headers)
    assert r.status_code == 404 and r.json()["code"] == "community_not_found"
    assert (await client.get(url, headers=world.organiser.headers)).json() == []


@pytest.mark.sqlite_only
async def test_the_sign_up_list_says_what_training_is_required_and_the_refusal_names_it(
        client, world) -> None:  # noqa: ANN001, F811
    cid, v, o = world.org.community.id, world.volunteer, world.organiser.headers
    await client.put(f"/api/communities/{cid}/training-requirements",
                     json={"kind": "patrol", "category": "pre_service", "within_months": 12}, headers=o)
    patrol = await create(client, world, kind="patrol", title="夜间巡逻")
    await create(client, world, kind="cleanup", title="楼道清洁")
    client.headers.pop("Authorization", None)
    await log_in(client, v)
    page = text_of((await client.get("/activities")).text)
    assert "报名前须参加的培训: 岗前培训（近 12 个月内）" in page
    assert page.count("报名前须参加的培训") == 1  # the cleanup requires nothing
    refused = await post(client, f"/activities/{patrol['id']}/signup")
    assert refused.status_code == 403
    assert "这项服务要求先参加培训：岗前培训（近 12 个月内）" in text_of(refused.text)
