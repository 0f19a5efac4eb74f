"""Approval (项目申请), cancellation with notifications, the status clock and reminders, end to end."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.activities import service
from servicebank.activities.models import Activity, ActivityKind
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from tests.activities.conftest import at, create
from tests.factories import make_person

PROPOSAL = {"goals": "为高龄老人上门理发", "budget_fen": 50000, "expected_participants": 12,
            "schedule": "5月每周六上午"}


async def test_proposal_is_approved_by_the_street_admin(client, world, session) -> None:  # noqa: ANN001
    activity = await create(client, world, publish=False, needs_approval=True, kind="elderly_visit")
    aid = activity["id"]
    r = await client.post(f"/api/activities/{aid}/publish", headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "approval_required"
    r = await client.post(f"/api/activities/{aid}/proposal", json=PROPOSAL, headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    r = await client.patch(f"/api/activities/{aid}", json={"title": "x"}, headers=world.organiser.headers)
    assert r.json()["code"] == "activity_under_review"
    # The organiser cannot approve their own proposal; another street's admin does not even see it.
    r = await client.post(f"/api/activities/{aid}/approve", headers=world.organiser.headers)
    assert r.status_code == 403 and r.json()["code"] == "street_admin_required"
    from tests.factories import make_org
    elsewhere = await make_org(session)
    stranger = await make_person(session, Role.STREET_ADMIN, street=elsewhere.street)
    r = await client.post(f"/api/activities/{aid}/approve", headers=stranger.headers)
    assert r.status_code == 404
    admin = await make_person(session, Role.STREET_ADMIN, street=world.org.street)
    r = await client.get(f"/api/activities/{aid}/proposal", headers=admin.headers)
    assert r.status_code == 200 and r.json()["budget_fen"] == 50000
    r = await client.post(f"/api/activities/{aid}/approve", json={"note": "同意"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "published"
    r = await client.post(f"/api/activities/{aid}/approve", headers=admin.headers)
    assert r.status_code == 409 and r.json()["code"] == "proposal_not_pending"
    r = await client.post(f"/api/activities/{aid}/signups", headers=world.volunteer.headers)
    assert r.status_code == 201


async def test_rejected_proposal_returns_to_draft_and_can_be_resubmitted(client, world, session) -> None:  # noqa: ANN001
    kind = (await session.scalars(select(ActivityKind).where(ActivityKind.code == "festival",
                                                             ActivityKind.community_id.is_(None)))).one()
    kind.needs_approval = True
    await session.commit()
    activity = await create(client, world, publish=False, kind="festival")
    assert activity["needs_approval"] is True
    aid = activity["id"]
    admin = await make_person(session, Role.STREET_ADMIN, street=world.org.street)
    await client.post(f"/api/activities/{aid}/proposal", json=PROPOSAL, headers=world.organiser.headers)
    r = await client.post(f"/api/activities/{aid}/reject", json={"reason": "预算过高"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "draft"
    r = await client.get(f"/api/activities/{aid}/proposal", headers=world.organiser.headers)
    assert r.json()["status"] == "rejected" and r.json()["decision_reason"] == "预算过高"
    r = await client.post(f"/api/activities/{aid}/reject", json={"reason": "again"}, headers=admin.headers)
    assert r.json()["code"] == "proposal_not_pending"
    r = await client.post(f"/api/activities/{aid}/proposal", json={**PROPOSAL, "budget_fen": 20000},
                          headers=world.organiser.headers)
    assert r.json()["status"] == "pending" and r.json()["budget_fen"] == 20000
    r = await client.post(f"/api/activities/{aid}/approve", headers=admin.headers)
    assert r.json()["status"] == "published"


async def test_cancellation_notifies_everyone_signed_up(client, world, session, db) -> None:  # noqa: ANN001
    activity = await create(client, world, capacity=1)
    aid = activity["id"]
    waiting = await make_person(session, Role.VOLUNTEER, community=world.org.community)
    await client.post(f"/api/activities/{aid}/signups", headers=world.volunteer.headers)
    await client.post(f"/api/activities/{aid}/signups", headers=waiting.headers)
    r = await client.post(f"/api/activities/{aid}/cancel", json={"reason": ""}, headers=world.organiser.headers)
    assert r.status_code == 400
    r = await client.post(f"/api/activities/{aid}/cancel", json={"reason": "暴雨预警"}, headers=world.volunteer.headers)
    assert r.status_code == 403
    r = await client.post(f"/api/activities/{aid}/cancel", json={"reason": "暴雨预警"}, headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "暴雨预警"
    r = await client.post(f"/api/activities/{aid}/cancel", json={"reason": "x"}, headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "activity_not_cancellable"
    await events.drain(db)
    for person in (world.volunteer, waiting):
        r = await client.get("/api/notifications", headers=person.headers)
        titles = [n["title"] for n in r.json()["items"]]
        assert titles[0] == "活动已取消：楼道清洁", titles
        assert "暴雨预警" in r.json()["items"][0]["body"]
    r = await client.get("/api/me/activities", headers=waiting.headers)
    assert r.json()[0]["signup"]["status"] == "cancelled"


async def test_status_clock_and_day_before_reminder(client, world, db) -> None:  # noqa: ANN001
    soon = await create(client, world, starts_at=at(20), ends_at=at(22))
    later = await create(client, world, starts_at=at(60), ends_at=at(62))
    for a in (soon, later):
        await client.post(f"/api/activities/{a['id']}/signups", headers=world.volunteer.headers)
    async with db.session_scope() as s:
        assert await service.send_due_reminders(s) == 1
        assert await service.send_due_reminders(s) == 0
    async with db.session_scope() as s:
        reminders = (await s.scalars(select(OutboxEvent).where(OutboxEvent.type == "activity.reminder"))).all()
        assert [e.payload for e in reminders] == [{"activity_id": soon["id"],
                                                   "volunteer_id": world.volunteer.volunteer.id}]
    await events.drain(db)
    r = await client.get("/api/notifications?unread_only=true", headers=world.volunteer.headers)
    assert any(n["title"] == "活动提醒：楼道清洁" for n in r.json()["items"])
    now = dt.datetime.now(dt.UTC)
    async with db.session_scope() as s:
        assert await service.advance_statuses(s, now=now + dt.timedelta(hours=21)) == {"completed": 0, "started": 1}
    async with db.session_scope() as s:
        assert (await s.get(Activity, soon["id"])).status == "in_progress"
        assert await service.advance_statuses(s, now=now + dt.timedelta(hours=23)) == {"completed": 1, "started": 0}
    async with db.session_scope() as s:
        assert (await s.get(Activity, soon["id"])).status == "completed"
        assert (await s.get(Activity, later["id"])).status == "published"
    r = await client.post(f"/api/activities/{soon['id']}/cancel", json={"reason": "x"}, headers=world.organiser.headers)
    assert r.json()["code"] == "activity_not_cancellable"
