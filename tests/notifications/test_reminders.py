"""Reminders the day before and the hour before an activity: each once, the hour's alone for an activity that came
within the hour; texted by default to volunteers no browser of theirs takes push for (e-mail or not); and who takes
push is asked once per event, not once per recipient."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from servicebank import keyring
from servicebank.accounts.models import Role
from servicebank.activities import service
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from servicebank.notifications.models import ChannelDelivery, NotificationPreference
from tests.activities.conftest import at, create
from tests.factories import make_person

VAPID = keyring.new_vapid_key()


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the shared settings, with a VAPID key (push on)
    return settings.replace(vapid_private_key=VAPID, vapid_subject="mailto:ops@example.cn")


async def _types(db) -> list[tuple[str, int]]:  # noqa: ANN001
    async with db.session_scope() as s:
        rows = (await s.scalars(select(OutboxEvent).where(OutboxEvent.type.in_(
            ["activity.reminder", "activity.starting_soon"])).order_by(OutboxEvent.id))).all()
        return [(e.type, e.payload["activity_id"]) for e in rows]


async def test_the_day_before_then_the_hour_before_each_once(client, world, db) -> None:  # noqa: ANN001
    tomorrow = await create(client, world, starts_at=at(20), ends_at=at(22))
    soon = await create(client, world, starts_at=at(0.5), ends_at=at(2))
    for a in (tomorrow, soon):
        await client.post(f"/api/activities/{a['id']}/signups", headers=world.volunteer.headers)
    async with db.session_scope() as s:
        assert await service.send_due_reminders(s) == 2
        assert await service.send_due_reminders(s) == 0
    # The activity within the hour gets the hour's reminder only.
    assert await _types(db) == [("activity.starting_soon", soon["id"]), ("activity.reminder", tomorrow["id"])]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=19, minutes=30)
    async with db.session_scope() as s:
        assert await service.send_due_reminders(s, now=later) == 1
        assert await service.send_due_reminders(s, now=later) == 0
    assert (await _types(db))[-1] == ("activity.starting_soon", tomorrow["id"])
    await events.drain(db)
    titles = [n["title"] for n in (await client.get("/api/notifications", headers=world.volunteer.headers)
                                   ).json()["items"]]
    assert "一小时后开始：楼道清洁" in titles and "活动提醒：楼道清洁" in titles


async def test_reminders_are_texted_unless_a_browser_takes_push(client, world, db) -> None:  # noqa: ANN001
    h = world.volunteer.headers
    async with db.session_scope() as s:  # e-mail on does not stop the text of a reminder
        s.add(NotificationPreference(user_id=world.volunteer.user.id, email="v@example.cn", email_enabled=True))
    choices = (await client.get("/api/notifications/channels", headers=h)).json()["choices"]
    assert choices["activity.reminder"]["sms"] is True and choices["activity.starting_soon"]["sms"] is True
    assert choices["signup.promoted"]["sms"] is False, "other kinds: e-mail is enough"
    soon = await create(client, world, starts_at=at(0.5), ends_at=at(2))
    await client.post(f"/api/activities/{soon['id']}/signups", headers=h)
    async with db.session_scope() as s:
        await service.send_due_reminders(s)
    await events.drain(db)
    async with db.session_scope() as s:
        rows = (await s.scalars(select(ChannelDelivery))).all()
    assert [(r.channel, r.kind, r.urgent) for r in rows] == [("sms", "activity.starting_soon", True)]
    # With a browser taking push, the reminder goes there and not by text.
    browser = {"endpoint": "https://push.example.cn/send/1",
               "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                        "auth": "tBHItJI5svbpez7KI4CCXg"}}
    assert (await client.post("/api/notifications/push/subscriptions", json=browser, headers=h)).status_code == 200
    choices = (await client.get("/api/notifications/channels", headers=h)).json()["choices"]
    assert choices["activity.reminder"]["sms"] is False and choices["activity.starting_soon"]["sms"] is True


async def test_who_takes_push_is_asked_once_per_event(client, world, db, session) -> None:  # noqa: ANN001
    others = [await make_person(session, Role.VOLUNTEER, community=world.org.community) for _ in range(3)]
    activity = await create(client, world, title="楼道清洁")
    for person in [world.volunteer, *others]:
        await client.post(f"/api/activities/{activity['id']}/signups", headers=person.headers)
    await events.drain(db)
    r = await client.post(f"/api/activities/{activity['id']}/cancel", json={"reason": "暴雨预警"},
                          headers=world.organiser.headers)
    assert r.status_code == 200, r.text
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "push_subscription" in statement:
            statements.append(statement)

    engine = db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        await events.drain(db)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    # Four recipients, push and SMS channels both asking: one query.
    assert len(statements) == 1, statements
    inbox = (await client.get("/api/notifications", headers=others[2].headers)).json()["items"]
    assert inbox[0]["title"] == "活动已取消：楼道清洁"
