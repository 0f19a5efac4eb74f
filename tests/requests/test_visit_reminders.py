"""Reminders before a resident request's visit: the day before and the hour before the agreed window (the first
preferred window not over when it was accepted), each once; to the volunteer and the resident's side, in the inbox
and texted through the fake gateway on 127.0.0.1; a re-delivered event sends nothing new; a request cancelled after
its reminder was recorded reminds nobody."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from servicebank.kernel import events
from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import OutboxEvent
from servicebank.notifications.models import ChannelDelivery, Notification
from servicebank.notifications.sms_sender import send_due_sms
from servicebank.requests import serving
from servicebank.requests.models import ServiceRequest
from tests.notifications.fake_gateway import gateway, gateway_sms  # noqa: F401 - fixtures
from tests.requests.support import make_street, open_in_hall, order, window


@pytest.fixture
def settings(settings, gateway):  # noqa: ANN001, ANN201, F811 - texts through the fake gateway, 5 a minute a phone
    return settings.replace(sms=gateway_sms(gateway.url, per_minute=5))


async def _reminders(db) -> list[tuple[str, int]]:  # noqa: ANN001
    async with db.session_scope() as s:
        rows = (await s.scalars(select(OutboxEvent).where(OutboxEvent.type.in_(
            ["request.visit_reminder", "request.visit_soon"])).order_by(OutboxEvent.id))).all()
        return [(e.type, e.payload["request_id"]) for e in rows]


async def _titles(client, person) -> list[str]:  # noqa: ANN001
    return [n["title"] for n in (await client.get("/api/notifications", headers=person.headers)).json()["items"]]


async def test_the_day_before_then_the_hour_before_each_once(client, db, session, gateway) -> None:  # noqa: ANN001, F811
    street = await make_street(session)
    # Two preferred windows: the visit is the first one not over when the volunteer accepts.
    request_id = await open_in_hall(client, street, windows=[window(20), window(44)])
    accepted = await client.post(f"/api/requests/{request_id}/accept", headers=street.helper.headers)
    assert accepted.status_code == 200, accepted.text
    async with db.session_scope() as s:
        visit_at = (await s.get(ServiceRequest, request_id)).visit_at
    assert abs(visit_at - (utcnow() + dt.timedelta(hours=20))) < dt.timedelta(minutes=1)
    now = utcnow()
    async with db.session_scope() as s:
        assert (await serving.periodic_check(s, now=now))["reminded"] == 1
        assert (await serving.periodic_check(s, now=now))["reminded"] == 0
    later = now + dt.timedelta(hours=19, minutes=30)
    async with db.session_scope() as s:
        assert (await serving.periodic_check(s, now=later))["reminded"] == 1
        assert (await serving.periodic_check(s, now=later))["reminded"] == 0
    assert await _reminders(db) == [("request.visit_reminder", request_id), ("request.visit_soon", request_id)]
    await events.drain(db)
    helper_titles = await _titles(client, street.helper)
    assert "上门服务提醒：代购" in helper_titles and "一小时后上门：代购" in helper_titles
    resident_titles = await _titles(client, street.resident)
    assert "志愿者上门提醒：代购" in resident_titles and "志愿者一小时后上门：代购" in resident_titles
    assert "上门服务提醒：代购" not in resident_titles
    # The notice of acceptance already named the agreed window.
    accepted_body = next(n["body"] for n in (await client.get("/api/notifications", headers=street.resident.headers)
                                             ).json()["items"] if n["title"] == "志愿者已接单")
    assert "志愿者已接单，约定" in accepted_body and "上门" in accepted_body
    # Texted (reminders go by text to people no browser of theirs takes push for), each kind its template; the
    # grid worker who ordered for the resident hears too.
    assert await send_due_sms(db, db.settings) == 6
    texts = {(m["phone"], m["template_id"]) for m in gateway.received}
    templates = db.settings.sms.template_ids
    for person in (street.helper, street.resident, street.grid_worker):
        for kind in ("request.visit_reminder", "request.visit_soon"):
            assert (person.user.phone, templates[kind]) in texts
    sent = gateway.received[-1]
    assert set(sent["params"]) == {"service", "time"} and sent["params"]["service"] == "代购"
    # Delivered again (a re-sent event): nothing new in any channel.
    async with db.session_scope() as s:
        counts = (await s.scalar(select(func.count(Notification.id))),
                  await s.scalar(select(func.count(ChannelDelivery.id))))
        ids = list((await s.scalars(select(OutboxEvent.id).where(OutboxEvent.type.like("request.visit%")))).all())
        await s.execute(OutboxEvent.__table__.update().where(OutboxEvent.id.in_(ids)).values(processed_at=None))
    await events.process_events(db, ids)
    async with db.session_scope() as s:
        assert (await s.scalar(select(func.count(Notification.id))),
                await s.scalar(select(func.count(ChannelDelivery.id)))) == counts
    assert await send_due_sms(db, db.settings) == 0


async def test_an_assigned_request_is_reminded_and_a_cancelled_one_is_not(client, db, session, gateway) -> None:  # noqa: ANN001, F811
    street = await make_street(session)
    h = street.organiser.headers
    assigned, cancelled = (await order(client, street, windows=[window(0.5)]))["id"], \
        (await order(client, street, windows=[window(0.75)]))["id"]
    for request_id in (assigned, cancelled):
        await client.post(f"/api/requests/{request_id}/review", json={"approve": True}, headers=h)
        r = await client.post(f"/api/requests/{request_id}/dispatch", json={"volunteer_id": street.helper.volunteer.id},
                              headers=h)
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    async with db.session_scope() as s:
        # Within the hour: the hour's reminder only, never a day-before one after it.
        assert (await serving.periodic_check(s))["reminded"] == 2
    assert {t for t, _ in await _reminders(db)} == {"request.visit_soon"}
    r = await client.post(f"/api/requests/{cancelled}/cancel", json={"reason": "家里有事"}, headers=h)
    assert r.status_code == 200, r.text
    await events.drain(db)
    async with db.session_scope() as s:
        kinds = (await s.scalars(select(Notification.body).where(
            Notification.type == "request.visit_soon", Notification.user_id == street.helper.user.id))).all()
    assert len(kinds) == 1 and f"#{assigned}" in kinds[0]
    async with db.session_scope() as s:
        assert (await serving.periodic_check(s))["reminded"] == 0
