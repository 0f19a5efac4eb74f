"""Web Push end to end: a browser subscribes through the API, a notice is encrypted for its keys and signed with
the install's VAPID key, and a push service on 127.0.0.1 decrypts it; once per event; ended subscriptions are
dropped; production refuses internal endpoints."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicebank import keyring
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent, record_event
from servicebank.notifications.models import ChannelDelivery, PushSubscription
from servicebank.notifications.push_channel import endpoint_allowed
from servicebank.notifications.push_sender import send_due_push
from tests.activities.conftest import create
from tests.notifications.fake_push_service import FakePushService, running_push_service

VAPID = keyring.new_vapid_key()


@pytest.fixture
def push_service() -> FakePushService:
    with running_push_service() as found:
        yield found


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the shared settings, with a VAPID key
    return settings.replace(vapid_private_key=VAPID, vapid_subject="mailto:ops@example.cn")


async def test_a_notice_reaches_the_subscribed_browser_encrypted(client, world, db, push_service) -> None:  # noqa: ANN001
    h = world.volunteer.headers
    key = (await client.get("/api/notifications/push/key")).json()["public_key"]
    phone, laptop = push_service.browser(), push_service.browser()
    for browser in (phone, laptop):
        r = await client.post("/api/notifications/push/subscriptions", json=browser.subscription(), headers=h)
        assert r.status_code == 200, r.text
    activity = await create(client, world, title="楼道清洁")
    await client.post(f"/api/activities/{activity['id']}/signups", headers=h)
    await events.drain(db)
    # A re-delivered event queues nothing new.
    async with db.session_scope() as s:
        event_id = await s.scalar(select(OutboxEvent.id).where(OutboxEvent.type == "signup.confirmed"))
        await s.execute(OutboxEvent.__table__.update().values(processed_at=None))
    await events.process_events(db, [event_id])
    assert await send_due_push(db, db.settings) == 1
    assert await send_due_push(db, db.settings) == 0
    assert push_service.rejected == []
    assert sorted(m["endpoint"] for m in push_service.received) == sorted([phone.endpoint, laptop.endpoint])
    message = push_service.received[0]
    assert message["k"] == key and message["claims"]["sub"] == "mailto:ops@example.cn" and message["ttl"] > 0
    assert message["payload"]["title"] == "报名成功：楼道清洁" and message["payload"]["kind"] == "signup.confirmed"
    inbox = (await client.get("/api/notifications", headers=h)).json()["items"]
    assert inbox[0]["sent_by"] == [{"channel": "push", "status": "sent"}]
    # With push, a volunteer's reminders no longer go by text by default (urgent kinds still do).
    choices = (await client.get("/api/notifications/channels", headers=h)).json()["choices"]
    assert choices["activity.reminder"]["sms"] is False and choices["activity.cancelled"]["sms"] is True


async def test_an_ended_subscription_is_dropped(client, world, db, push_service) -> None:  # noqa: ANN001
    h = world.volunteer.headers
    browser = push_service.browser()
    await client.post("/api/notifications/push/subscriptions", json=browser.subscription(), headers=h)
    push_service.gone.add(browser.endpoint)
    async with db.session_scope() as s:
        await record_event(s, "volunteer.registered", {"volunteer_id": world.volunteer.volunteer.id,
                                                       "community_id": world.org.community.id})
    await events.drain(db)
    assert await send_due_push(db, db.settings) == 0
    async with db.session_scope() as s:
        assert (await s.scalars(select(PushSubscription))).one().gone_at is not None
        assert (await s.scalars(select(ChannelDelivery))).one().status == "failed"
    # The browser subscribes again: it is used again.
    push_service.gone.clear()
    r = await client.post("/api/notifications/push/subscriptions", json=browser.subscription(), headers=h)
    assert r.json() == {"subscribed": True}
    r = await client.post("/api/notifications/push/unsubscribe", json={"endpoint": browser.endpoint}, headers=h)
    assert r.json() == {"subscribed": False}


async def test_bad_subscriptions_are_refused(client, world) -> None:  # noqa: ANN001
    h = world.volunteer.headers
    bad = {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}
    r = await client.post("/api/notifications/push/subscriptions", json=bad, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "push_subscription_invalid"
    not_a_point = {**bad, "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22}}  # 65 bytes, off the curve
    r = await client.post("/api/notifications/push/subscriptions", json=not_a_point, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "push_subscription_invalid"
    assert (await client.post("/api/notifications/push/subscriptions", json=bad)).status_code == 401


def test_production_pushes_only_to_public_https_hosts() -> None:
    assert endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc", production=True)
    for endpoint in ("http://fcm.googleapis.com/x", "https://127.0.0.1/x", "https://10.0.0.5/x", "https://localhost/x",
                     "http://127.0.0.1:8080/push/1"):
        assert not endpoint_allowed(endpoint, production=True), endpoint
    assert endpoint_allowed("http://127.0.0.1:8080/push/1", production=False)
