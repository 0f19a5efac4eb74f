"""The kinds of message the issue names beyond activities and stores: family-link requests (to the volunteer asked,
never to the asker before a confirmation), a confirmed link (to the asker; to both when an organiser recorded it), an
honour list published (to each volunteer on it, once), a certificate of service issued (to its volunteer). Each in
the inbox, once per event and person: a re-delivered event adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicebank import keyring
from servicebank.accounts.models import Role
from servicebank.family.models import FamilyLink
from servicebank.honours.models import HonourEntry
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from servicebank.notifications.models import ChannelDelivery, Notification
from tests.factories import make_org, make_person, make_volunteer
from tests.honours.seeding import seed_october

VAPID = keyring.new_vapid_key()
BROWSER = {"endpoint": "https://push.example.cn/send/1",
           "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                    "auth": "tBHItJI5svbpez7KI4CCXg"}}


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the shared settings, with a VAPID key (push on)
    return settings.replace(vapid_private_key=VAPID, vapid_subject="mailto:ops@example.cn")


async def _titles(client, person) -> list[str]:  # noqa: ANN001
    return [n["title"] for n in (await client.get("/api/notifications", headers=person.headers)).json()["items"]]


async def _again(db, event_type: str) -> None:  # noqa: ANN001
    """Deliver every event of this type once more, as a broker re-sending it would."""
    async with db.session_scope() as s:
        ids = list((await s.scalars(select(OutboxEvent.id).where(OutboxEvent.type == event_type))).all())
        await s.execute(OutboxEvent.__table__.update().where(OutboxEvent.id.in_(ids)).values(processed_at=None))
    await events.process_events(db, ids)


async def _count(db) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count(Notification.id))) or 0)


async def test_family_link_requests_and_confirmations(client, db, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    daughter = await make_person(session, Role.VOLUNTEER, community=org.community, name="王小红")
    mother = await make_person(session, Role.VOLUNTEER, community=org.community, name="李桂英")
    # A wrong phone ending makes no link and tells nobody.
    ask = {"volunteer_number": mother.volunteer.number, "phone_last4": "0000" if not mother.volunteer.phone.endswith(
        "0000") else "1111", "relation": "父母"}
    assert (await client.post("/api/family-links", json=ask, headers=daughter.headers)).status_code == 202
    await events.drain(db)
    assert "有人申请与您关联为家人" not in await _titles(client, mother)
    ask["phone_last4"] = mother.volunteer.phone[-4:]
    assert (await client.post("/api/family-links", json=ask, headers=daughter.headers)).status_code == 202
    await events.drain(db)
    async with db.session_scope() as s:
        body = await s.scalar(select(Notification.body).where(Notification.user_id == mother.user.id,
                                                              Notification.type == "family_link.requested"))
        link_id = await s.scalar(select(FamilyLink.id))
    assert "王小红" in body and "对方是您的子女" in body
    assert "有人申请与您关联为家人" not in await _titles(client, daughter), "the asker hears nothing before it holds"
    before = await _count(db)
    await _again(db, "family_link.requested")
    assert await _count(db) == before
    assert (await client.post(f"/api/family-links/{link_id}/confirm", headers=mother.headers)).status_code == 200
    await events.drain(db)
    assert "家人关联已确认" in await _titles(client, daughter)
    assert "社区已为您确认家人关联" not in await _titles(client, mother)


async def test_a_link_an_organiser_records_tells_both(client, db, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    son = await make_person(session, Role.VOLUNTEER, community=org.community, name="张伟")
    father = await make_volunteer(session, org.community)  # no login, no phone of his own: heard once he logs in
    body = {"volunteer_id": son.volunteer.id, "relative_number": father.number, "relation": "父母", "note": "现场核实"}
    r = await client.post(f"/api/communities/{org.community.id}/family-links", json=body, headers=organiser.headers)
    assert r.status_code == 201, r.text
    await events.drain(db)
    assert "家人关联已确认" in await _titles(client, son)
    async with db.session_scope() as s:
        told = (await s.scalars(select(Notification.title).where(Notification.volunteer_id == father.id))).all()
    assert told == ["社区已为您确认家人关联"]


async def test_honour_list_published_and_certificate_issued(client, db, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    organiser = await make_person(session, Role.ORGANISER, community=seeded.org.community)
    made = await client.post("/api/honours/generate", json={"month": "2026-10", "community_id": seeded.org.community.id},
                             headers=organiser.headers)
    list_id = made.json()["list_ids"][0]
    await events.drain(db)
    assert await _count(db) == 0, "a draft tells nobody"
    published = await client.post(f"/api/honours/lists/{list_id}/publish", json={}, headers=organiser.headers)
    assert published.status_code == 200, published.text
    await events.drain(db)
    async with db.session_scope() as s:
        on_list = set((await s.scalars(select(HonourEntry.volunteer_id).where(
            HonourEntry.list_id == list_id, HonourEntry.volunteer_id.is_not(None)))).all())
        told = (await s.scalars(select(Notification.volunteer_id).where(
            Notification.type == "honour_list.published"))).all()
    assert on_list and sorted(told) == sorted(on_list), "each volunteer on the list once"
    await _again(db, "honour_list.published")
    assert await _count(db) == len(told)

    volunteer = next(v for v in seeded.volunteers.values() if v.id in on_list)
    cert = await client.post(f"/api/communities/{seeded.org.community.id}/certificates", headers=organiser.headers,
                             json={"volunteer_id": volunteer.id, "period_start": "2026-10-01",
                                   "period_end": "2026-10-31", "person_in_charge": "赵书记"})
    assert cert.status_code == 201, cert.text
    await events.drain(db)
    async with db.session_scope() as s:
        body = await s.scalar(select(Notification.body).where(Notification.type == "certificate.issued",
                                                              Notification.volunteer_id == volunteer.id))
    assert cert.json()["number"] in body and "2026年10月01日至2026年10月31日" in body


async def test_each_kind_is_chosen_per_channel_push_included(client, db, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    mother = await make_person(session, Role.VOLUNTEER, community=org.community, name="李桂英")
    daughter = await make_person(session, Role.VOLUNTEER, community=org.community, name="王小红")
    son = await make_person(session, Role.VOLUNTEER, community=org.community, name="王小明")
    h = mother.headers
    assert (await client.post("/api/notifications/push/subscriptions", json=BROWSER, headers=h)).status_code == 200
    found = (await client.get("/api/notifications/channels", headers=h)).json()
    assert found["push_on"] is True
    # A kind that is never texted has e-mail and push to choose; a texted kind has all three.
    assert found["choices"]["family_link.requested"] == {"email": True, "push": True}
    assert set(found["choices"]["activity.reminder"]) == {"sms", "email", "push"}
    refused = await client.put("/api/notifications/channels", headers=h,
                               json={"sms_on": True, "choices": {"family_link.requested": {"sms": True}}})
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_notice_channel"
    r = await client.put("/api/notifications/channels", headers=h,
                         json={"sms_on": True, "choices": {"family_link.requested": {"push": False}}})
    assert r.status_code == 200 and r.json()["choices"]["family_link.requested"] == {"email": True, "push": False}

    async def ask(asker) -> None:  # noqa: ANN001
        body = {"volunteer_number": mother.volunteer.number, "phone_last4": mother.volunteer.phone[-4:],
                "relation": "父母"}
        assert (await client.post("/api/family-links", json=body, headers=asker.headers)).status_code == 202
        await events.drain(db)

    async def pushed() -> int:
        async with db.session_scope() as s:
            return int(await s.scalar(select(func.count(ChannelDelivery.id)).where(
                ChannelDelivery.channel == "push", ChannelDelivery.kind == "family_link.requested")) or 0)

    await ask(daughter)
    assert await pushed() == 0 and "有人申请与您关联为家人" in await _titles(client, mother), "in the inbox all the same"
    await client.put("/api/notifications/channels", headers=h,
                     json={"sms_on": True, "choices": {"family_link.requested": {"push": True}}})
    await ask(son)
    assert await pushed() == 1
