"""Posting and editing activities: validation, permissions, visibility, kinds."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.activities.kinds import BUILTIN_KINDS, ensure_builtin_kinds
from servicebank.activities.models import Activity, ActivityKind
from servicebank.kernel.events import OutboxEvent
from tests.activities.conftest import activity_body, at, create
from tests.factories import make_person, make_team


async def test_builtin_kinds_are_created_once(session) -> None:  # noqa: ANN001
    await ensure_builtin_kinds(session)
    await ensure_builtin_kinds(session)
    rows = (await session.scalars(select(ActivityKind).where(ActivityKind.community_id.is_(None)))).all()
    assert {k.code: k.name for k in rows} == BUILTIN_KINDS


async def test_organiser_posts_a_draft_and_publishes_it(client, world, db) -> None:  # noqa: ANN001
    body = activity_body(world.org.community.id, capacity=10, beneficiary_groups=["老年人"],
                         hours_rule_override={"multiplier_permille": 1500, "rounding": "down"})
    r = await client.post("/api/activities", json=body, headers=world.organiser.headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["capacity"] == 10
    assert draft["hours_rule_override"] == {"multiplier_permille": 1500, "rounding": "down"}
    # Volunteers never see drafts.
    r = await client.get(f"/api/activities/{draft['id']}", headers=world.volunteer.headers)
    assert r.status_code == 404 and r.json()["code"] == "activity_not_found"
    r = await client.post(f"/api/activities/{draft['id']}/publish", headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["status"] == "published"
    r = await client.get(f"/api/activities/{draft['id']}", headers=world.volunteer.headers)
    assert r.status_code == 200 and r.json()["can_sign_up"] is True
    r = await client.post(f"/api/activities/{draft['id']}/publish", headers=world.organiser.headers)
    assert r.json()["code"] == "activity_not_draft"
    async with db.session_scope() as s:
        types = (await s.scalars(select(OutboxEvent.type))).all()
    assert types.count("activity.published") == 1


@pytest.mark.parametrize(("overrides", "code"), [
    ({"starts_at": at(50), "ends_at": at(48)}, "invalid_time_range"),
    ({"kind": "no_such_kind"}, "unknown_kind"),
    ({"capacity": 0}, "invalid_capacity"),
    ({"hours_rule_override": {"multiplier_permille": 0}}, "invalid_hours_rule"),
    ({"hours_rule_override": {"rounding": "sideways"}}, "invalid_hours_rule"),
    ({"hours_rule_override": {"bonus": 1}}, "invalid_hours_rule"),
    ({"hours_rule_override": {"earns_points": 1}}, "invalid_hours_rule"),
    ({"hours_rule_override": {"daily_cap_minutes": 5000}}, "invalid_hours_rule"),
    ({"latitude": 39.9}, "invalid_coordinates"),
    ({"team_ids": [999999]}, "team_not_in_community"),
])
async def test_bad_input_is_refused_with_a_stable_code(client, world, db, overrides, code) -> None:  # noqa: ANN001
    r = await client.post("/api/activities", json=activity_body(world.org.community.id, **overrides),
                          headers=world.organiser.headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(Activity.id))) == 0


async def test_naive_times_are_refused(client, world) -> None:  # noqa: ANN001
    body = activity_body(world.org.community.id, starts_at="2030-01-01T09:00:00", ends_at="2030-01-01T11:00:00")
    r = await client.post("/api/activities", json=body, headers=world.organiser.headers)
    assert r.status_code == 400 and r.json()["code"] == "invalid_input"


async def test_permissions_to_post(client, world, session) -> None:  # noqa: ANN001
    community = world.org.community
    r = await client.post("/api/activities", json=activity_body(community.id), headers=world.volunteer.headers)
    assert r.status_code == 403 and r.json()["code"] == "staff_required"
    outsider = await make_person(session, Role.ORGANISER, community=world.org.other)
    r = await client.post("/api/activities", json=activity_body(community.id), headers=outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "community_not_found"
    mine, theirs = await make_team(session, community), await make_team(session, community)
    leader = await make_person(session, Role.TEAM_LEADER, community=community, team=mine)
    r = await client.post("/api/activities", json=activity_body(community.id), headers=leader.headers)
    assert r.status_code == 403 and r.json()["code"] == "team_leader_scope"
    r = await client.post("/api/activities", json=activity_body(community.id, team_ids=[mine.id, theirs.id]),
                          headers=leader.headers)
    assert r.json()["code"] == "team_leader_scope"
    r = await client.post("/api/activities", json=activity_body(community.id, team_ids=[mine.id]),
                          headers=leader.headers)
    assert r.status_code == 201, r.text
    # The leader cannot widen it to the whole community afterwards.
    r = await client.patch(f"/api/activities/{r.json()['id']}", json={"team_ids": []}, headers=leader.headers)
    assert r.status_code == 403 and r.json()["code"] == "team_leader_scope"


async def test_volunteers_see_only_their_communitys_published_activities(client, world, session) -> None:  # noqa: ANN001
    published = await create(client, world, title="已发布")
    await create(client, world, title="草稿", publish=False)
    other_org = await make_person(session, Role.ORGANISER, community=world.org.other)
    r = await client.post("/api/activities", json=activity_body(world.org.other.id, publish=True),
                          headers=other_org.headers)
    assert r.status_code == 201
    r = await client.get("/api/activities", headers=world.volunteer.headers)
    assert [a["id"] for a in r.json()["items"]] == [published["id"]]
    r = await client.get(f"/api/activities?community_id={world.org.other.id}", headers=world.volunteer.headers)
    assert r.status_code == 404
    r = await client.get("/api/activities", headers=world.organiser.headers)
    assert r.json()["total"] == 2
    r = await client.get("/api/activities?status=draft", headers=world.organiser.headers)
    assert [a["title"] for a in r.json()["items"]] == ["草稿"]


async def test_joinable_filter_respects_teams_and_skills(client, world, session) -> None:  # noqa: ANN001
    team = await make_team(session, world.org.community)
    open_one = await create(client, world, title="公开")
    await create(client, world, title="队内", team_ids=[team.id])
    await create(client, world, title="需医疗", required_skill="医疗")
    await create(client, world, title="已开始", starts_at=at(-1), ends_at=at(2))
    r = await client.get("/api/activities?joinable=true", headers=world.volunteer.headers)
    assert [a["id"] for a in r.json()["items"]] == [open_one["id"]]


async def test_patch_rules(client, world) -> None:  # noqa: ANN001
    activity = await create(client, world, capacity=5)
    aid = activity["id"]
    r = await client.patch(f"/api/activities/{aid}", json={"ends_at": at(47)}, headers=world.organiser.headers)
    assert r.status_code == 422 and r.json()["code"] == "invalid_time_range"
    r = await client.patch(f"/api/activities/{aid}", json={"title": "新标题", "capacity": None},
                           headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["title"] == "新标题" and r.json()["capacity"] is None
    r = await client.patch(f"/api/activities/{aid}", json={"title": "x"}, headers=world.volunteer.headers)
    assert r.status_code == 403
    await client.post(f"/api/activities/{aid}/cancel", json={"reason": "下雨"}, headers=world.organiser.headers)
    r = await client.patch(f"/api/activities/{aid}", json={"title": "y"}, headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "activity_not_editable"


async def test_custom_kind(client, world, session) -> None:  # noqa: ANN001
    cid = world.org.community.id
    r = await client.post("/api/activity-kinds", json={"community_id": cid, "code": "snow_clearing", "name": "铲雪除草"},
                          headers=world.organiser.headers)
    assert r.status_code == 201, r.text
    r = await client.post("/api/activity-kinds", json={"community_id": cid, "code": "cleanup", "name": "x"},
                          headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "kind_exists"
    r = await client.post("/api/activity-kinds", json={"community_id": cid, "code": "Bad Code", "name": "x"},
                          headers=world.organiser.headers)
    assert r.json()["code"] == "invalid_kind_code"
    r = await client.post("/api/activity-kinds", json={"community_id": cid, "code": "x_y", "name": "x"},
                          headers=world.volunteer.headers)
    assert r.status_code == 403
    r = await client.get(f"/api/activity-kinds?community_id={cid}", headers=world.volunteer.headers)
    assert [k["code"] for k in r.json()][-1] == "snow_clearing" and len(r.json()) == len(BUILTIN_KINDS) + 1
    await create(client, world, kind="snow_clearing")
    # Another community cannot use it.
    other = await make_person(session, Role.ORGANISER, community=world.org.other)
    r = await client.post("/api/activities", json=activity_body(world.org.other.id, kind="snow_clearing"),
                          headers=other.headers)
    assert r.status_code == 422 and r.json()["code"] == "unknown_kind"
