"""Notifications: one inbox row per event and recipient, read marks, privacy, preferences."""

from __future__ import annotations

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent, record_event
from servicebank.notifications.models import Notification
from tests.activities.conftest import create
from tests.factories import make_person, make_volunteer


async def test_sign_up_is_confirmed_in_the_inbox_once(client, world, db) -> None:  # noqa: ANN001
    activity = await create(client, world, capacity=1)
    await client.post(f"/api/activities/{activity['id']}/signups", headers=world.volunteer.headers)
    await events.drain(db)
    r = await client.get("/api/notifications", headers=world.volunteer.headers)
    page = r.json()
    assert page["unread_count"] == 1 and page["items"][0]["title"] == "报名成功：楼道清洁"
    assert page["items"][0]["activity_id"] == activity["id"]
    # Delivering the same event again (a re-sent message) adds nothing.
    async with db.session_scope() as s:
        event_id = await s.scalar(select(OutboxEvent.id).where(OutboxEvent.type == "signup.confirmed"))
        await s.execute(OutboxEvent.__table__.update().values(processed_at=None))
    await events.process_events(db, [event_id])
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(Notification.id))) == 1
    nid = page["items"][0]["id"]
    r = await client.post(f"/api/notifications/{nid}/read", headers=world.volunteer.headers)
    assert r.status_code == 200 and r.json()["read_at"] is not None
    r = await client.get("/api/notifications?unread_only=true", headers=world.volunteer.headers)
    assert r.json() == {"items": [], "unread_count": 0}
    # Nobody else can read or mark it.
    r = await client.post(f"/api/notifications/{nid}/read", headers=world.organiser.headers)
    assert r.status_code == 404 and r.json()["code"] == "notification_not_found"
    assert (await client.get("/api/notifications")).status_code == 401


async def test_waitlist_and_promotion_messages(client, world, session, db) -> None:  # noqa: ANN001
    activity = await create(client, world, capacity=1)
    second = await make_person(session, Role.VOLUNTEER, community=world.org.community)
    await client.post(f"/api/activities/{activity['id']}/signups", headers=world.volunteer.headers)
    await client.post(f"/api/activities/{activity['id']}/signups", headers=second.headers)
    await client.delete(f"/api/activities/{activity['id']}/signups/me", headers=world.volunteer.headers)
    await events.drain(db)
    r = await client.get("/api/notifications", headers=second.headers)
    assert [n["title"] for n in r.json()["items"]] == ["候补转为正式报名：楼道清洁", "已进入候补：楼道清洁"]
    r = await client.post("/api/notifications/read-all", headers=second.headers)
    assert r.json() == {"marked": 2}


async def test_volunteer_without_login_gets_messages_later(session, db, world) -> None:  # noqa: ANN001
    volunteer = await make_volunteer(session, world.org.community)
    async with db.session_scope() as s:
        await record_event(s, "volunteer.registered", {"volunteer_id": volunteer.id,
                                                       "community_id": world.org.community.id})
    await events.drain(db)
    async with db.session_scope() as s:
        row = (await s.scalars(select(Notification))).one()
        assert row.recipient == f"volunteer:{volunteer.id}" and row.user_id is None


async def test_preferences(client, world) -> None:  # noqa: ANN001
    h = world.volunteer.headers
    assert (await client.get("/api/notifications/preferences", headers=h)).json() == {
        "email": None, "email_enabled": False}
    r = await client.put("/api/notifications/preferences", json={"email": "not-an-email", "email_enabled": True},
                         headers=h)
    assert r.status_code == 422 and r.json()["code"] == "invalid_email"
    r = await client.put("/api/notifications/preferences", json={"email_enabled": True}, headers=h)
    assert r.json()["code"] == "email_required"
    r = await client.put("/api/notifications/preferences", json={"email": "wang@example.cn", "email_enabled": True},
                         headers=h)
    assert r.json() == {"email": "wang@example.cn", "email_enabled": True}
