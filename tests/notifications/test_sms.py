"""The SMS channel end to end against a fake gateway on 127.0.0.1: templated texts, sent once per event, signed;
retries, refusals, delivery reports, 退订, per-phone limits and quiet hours."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent, record_event
from servicebank.notifications.models import ChannelDelivery, Notification, SmsOptOut
from servicebank.notifications.sms_sender import send_due_sms
from tests.activities.conftest import create
from tests.notifications.fake_gateway import (  # noqa: F401 - gateway and settings are fixtures
    FakeGateway,
    gateway,
    gateway_call,
    gateway_sms,
    settings,
)


def _next_shanghai_noon() -> dt.datetime:
    """The next noon in Shanghai (as UTC), after now: the texts queued now are due by then, and it is daytime.
    A fixed date would pass, and every text queued after it would no longer be due "then"."""
    now = dt.datetime.now(dt.UTC)
    noon = dt.datetime.combine((now + dt.timedelta(hours=8)).date(), dt.time(4, 0), tzinfo=dt.UTC)  # 12:00 at UTC+8
    return noon if noon > now else noon + dt.timedelta(days=1)


SHANGHAI_NOON = _next_shanghai_noon()


async def remind(client, world, db) -> int:  # noqa: ANN001
    """Sign the volunteer up, record the day-before reminder and handle it; returns the reminder's event id."""
    activity = await create(client, world, title="楼道清洁")
    await client.post(f"/api/activities/{activity['id']}/signups", headers=world.volunteer.headers)
    async with db.session_scope() as s:
        event = await record_event(s, "activity.reminder", {"activity_id": activity["id"],
                                                            "volunteer_id": world.volunteer.volunteer.id})
    await events.drain(db)
    return event.id


async def deliveries(db) -> list[ChannelDelivery]:  # noqa: ANN001
    async with db.session_scope() as s:
        return list((await s.scalars(select(ChannelDelivery).order_by(ChannelDelivery.id))).all())


async def test_a_reminder_is_texted_once_as_a_signed_template(client, world, db, gateway) -> None:  # noqa: ANN001
    event_id = await remind(client, world, db)
    # The handler ran again (a re-delivered message): nothing new is queued.
    async with db.session_scope() as s:
        await s.execute(OutboxEvent.__table__.update().where(OutboxEvent.id == event_id).values(processed_at=None))
    await events.process_events(db, [event_id])
    assert await send_due_sms(db, db.settings) == 1
    assert await send_due_sms(db, db.settings) == 0
    assert gateway.refused_signatures == 0 and len(gateway.received) == 1
    sent = gateway.received[0]
    assert sent["phone"] == world.volunteer.user.phone and sent["template_id"] == "SMS_0001"
    assert set(sent["params"]) == {"title", "time", "place"} and sent["params"]["title"] == "楼道清洁"
    (row,) = await deliveries(db)
    assert (row.status, row.provider_ref, row.attempts, sent["ref"]) == ("sent", "gw-1", 1, str(row.id))
    # The confirmation of the sign-up had no SMS template: inbox only. The reminder is in the inbox too.
    inbox = (await client.get("/api/notifications", headers=world.volunteer.headers)).json()["items"]
    assert [n["type"] for n in inbox] == ["activity.reminder", "signup.confirmed"]
    assert inbox[0]["sent_by"] == [{"channel": "sms", "status": "sent"}] and inbox[1]["sent_by"] == []


async def test_gateway_failures_are_retried_and_refusals_are_final(client, world, db, gateway) -> None:  # noqa: ANN001
    await remind(client, world, db)
    gateway.failures = [503]
    assert await send_due_sms(db, db.settings, now=SHANGHAI_NOON) == 0
    (row,) = await deliveries(db)
    assert row.status == "pending" and row.attempts == 1 and "503" in row.last_error
    assert row.not_before == SHANGHAI_NOON + dt.timedelta(minutes=1)
    assert await send_due_sms(db, db.settings, now=SHANGHAI_NOON + dt.timedelta(seconds=30)) == 0
    assert await send_due_sms(db, db.settings, now=SHANGHAI_NOON + dt.timedelta(minutes=2)) == 1
    (row,) = await deliveries(db)
    assert row.status == "sent" and row.attempts == 2 and len(gateway.received) == 1

    async with db.session_scope() as s:
        await s.execute(ChannelDelivery.__table__.update().values(status="pending", not_before=SHANGHAI_NOON))
    gateway.failures = [400]
    assert await send_due_sms(db, db.settings, now=SHANGHAI_NOON + dt.timedelta(days=1)) == 0
    (row,) = await deliveries(db)
    assert row.status == "failed" and "400" in row.last_error


async def test_delivery_reports_must_be_signed(client, world, db) -> None:  # noqa: ANN001
    await remind(client, world, db)
    await send_due_sms(db, db.settings)
    (row,) = await deliveries(db)
    report = {"reports": [{"ref": str(row.id), "status": "delivered"}]}
    body, headers = gateway_call(report, secret="not-the-secret-" + "x" * 20)
    r = await client.post("/api/notifications/sms/reports", content=body, headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "sms_signature_invalid"
    body, headers = gateway_call(report, now=time.time() - 3600)
    r = await client.post("/api/notifications/sms/reports", content=body, headers=headers)
    assert r.status_code == 401
    body, headers = gateway_call(report)
    r = await client.post("/api/notifications/sms/reports", content=body, headers=headers)
    assert r.status_code == 200 and r.json() == {"changed": 1}
    # A late or repeated report changes nothing: the first final status stays.
    body, headers = gateway_call({"reports": [{"ref": str(row.id), "status": "undelivered", "error": "x"}]})
    assert (await client.post("/api/notifications/sms/reports", content=body, headers=headers)).json() == {
        "changed": 0}
    (row,) = await deliveries(db)
    assert row.status == "delivered" and row.status_at is not None
    inbox = (await client.get("/api/notifications", headers=world.volunteer.headers)).json()["items"]
    assert inbox[0]["sent_by"] == [{"channel": "sms", "status": "delivered"}]
    body, headers = gateway_call({"reports": [{"ref": str(row.id), "status": "lost"}]})
    r = await client.post("/api/notifications/sms/reports", content=body, headers=headers)
    assert r.status_code == 422 and r.json()["code"] == "sms_report_invalid"


async def test_a_reply_of_td_stops_every_text_to_the_number(client, world, db, gateway) -> None:  # noqa: ANN001
    await remind(client, world, db)
    body, headers = gateway_call({"phone": f"+86{world.volunteer.user.phone}", "text": " td "})
    r = await client.post("/api/notifications/sms/replies", content=body, headers=headers)
    assert r.json() == {"opted_out": True}
    # The text queued before the reply is not sent; a new event queues none; the inbox still has both.
    assert await send_due_sms(db, db.settings) == 0
    (row,) = await deliveries(db)
    assert row.status == "skipped" and gateway.received == []
    await remind(client, world, db)
    assert len(await deliveries(db)) == 1
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(Notification.id)).where(Notification.type == "activity.reminder")) == 2
    body, headers = gateway_call({"phone": world.volunteer.user.phone, "text": "谢谢"})
    assert (await client.post("/api/notifications/sms/replies", content=body, headers=headers)).json() == {
        "opted_out": False}


async def test_quiet_hours_delay_all_but_urgent_texts(client, world, db, gateway) -> None:  # noqa: ANN001
    db.settings = db.settings.replace(sms=gateway_sms(gateway.url, quiet_hours="22:00-08:00"))
    await remind(client, world, db)
    (row,) = await deliveries(db)
    async with db.session_scope() as s:
        await s.execute(ChannelDelivery.__table__.update().values(not_before=SHANGHAI_NOON))
    late_evening = SHANGHAI_NOON + dt.timedelta(hours=11, minutes=30)  # 23:30 in Shanghai
    assert await send_due_sms(db, db.settings, now=late_evening) == 0
    (row,) = await deliveries(db)
    assert row.status == "pending" and row.not_before == SHANGHAI_NOON + dt.timedelta(hours=20)  # 08:00 next morning
    assert row.last_error == "quiet_hours"
    # An urgent kind goes at once, even at night.
    async with db.session_scope() as s:
        await s.execute(ChannelDelivery.__table__.update().values(urgent=True, not_before=SHANGHAI_NOON))
    assert await send_due_sms(db, db.settings, now=late_evening) == 1


async def test_per_phone_limits_delay_the_text_over_the_limit(client, world, db, gateway) -> None:  # noqa: ANN001
    await remind(client, world, db)
    await remind(client, world, db)
    assert len(await deliveries(db)) == 2
    assert await send_due_sms(db, db.settings, now=SHANGHAI_NOON) == 1
    first, second = await deliveries(db)
    assert first.status == "sent" and second.status == "pending"
    assert second.not_before == SHANGHAI_NOON + dt.timedelta(minutes=1) and second.attempts == 0
    assert second.last_error == "rate_limited"
    assert await send_due_sms(db, db.settings, now=SHANGHAI_NOON + dt.timedelta(minutes=1)) == 1
    assert len(gateway.received) == 2


@pytest.mark.postgres_only
async def test_the_limit_holds_for_concurrent_senders(db) -> None:  # noqa: ANN001
    from servicebank.notifications.sms_limits import take_slot

    sms = gateway_sms("http://127.0.0.1:9/unused")

    async def one() -> dt.datetime | None:
        async with db.session_scope() as s:
            found = await take_slot(s, phone="13900000001", now=SHANGHAI_NOON, sms=sms, timezone="Asia/Shanghai")
            await asyncio.sleep(0.2)  # hold the transaction open while the others try
            return found

    results = await asyncio.gather(*(one() for _ in range(6)))
    assert results.count(None) == 1


async def test_opting_out_on_the_page_and_choices_per_kind(client, world, db) -> None:  # noqa: ANN001
    h = world.volunteer.headers
    r = await client.get("/api/notifications/channels", headers=h)
    choices = r.json()
    assert choices["sms_on"] is True and choices["phone"] == world.volunteer.user.phone
    assert choices["choices"]["activity.reminder"] == {"sms": True, "email": True, "push": True}
    r = await client.put("/api/notifications/channels", headers=h,
                         json={"sms_on": True, "choices": {"activity.reminder": {"sms": False}}})
    assert r.json()["choices"]["activity.reminder"]["sms"] is False
    await remind(client, world, db)
    assert await deliveries(db) == []
    r = await client.put("/api/notifications/channels", headers=h, json={"sms_on": False})
    assert r.json()["sms_on"] is False
    async with db.session_scope() as s:
        assert (await s.get(SmsOptOut, world.volunteer.user.phone)).source == "page"
    r = await client.put("/api/notifications/channels", headers=h, json={"sms_on": True, "choices": {"x": {}}})
    assert r.status_code == 422 and r.json()["code"] == "unknown_notice_kind"


async def test_with_email_on_other_kinds_skip_sms_but_reminders_and_urgent_kinds_do_not(client, world) -> None:  # noqa: ANN001
    h = world.volunteer.headers
    await client.put("/api/notifications/preferences", json={"email": "wang@example.cn", "email_enabled": True},
                     headers=h)
    choices = (await client.get("/api/notifications/channels", headers=h)).json()["choices"]
    # An e-mail is seldom read within the hour: reminders still go by text (only push takes their place).
    assert choices["activity.reminder"]["sms"] is True and choices["redemption.completed"]["sms"] is True
    assert choices["signup.promoted"]["sms"] is False
