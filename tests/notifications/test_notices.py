"""An organiser's templated notice to a team or to an activity's volunteers: through the outbox, in each one's
inbox, texted through the fake gateway to those who want texts, once per person and channel (a re-delivered event
sends nothing new); only from the fixed templates, only to one's own teams and activities."""

from __future__ import annotations

from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from servicebank.notifications.sms_sender import send_due_sms
from servicebank.volunteers.models import TeamMember
from tests.activities.conftest import create
from tests.factories import make_org, make_person, make_team
from tests.notifications.fake_gateway import gateway, settings  # noqa: F401 - fixtures


async def test_a_notice_to_a_team_reaches_each_member_once(client, world, db, session, gateway) -> None:  # noqa: ANN001, F811
    team = await make_team(session, world.org.community, name="党员先锋队")
    other = await make_person(session, Role.VOLUNTEER, community=world.org.community)
    for person in (world.volunteer, other):
        session.add(TeamMember(team_id=team.id, volunteer_id=person.volunteer.id))
    await session.commit()
    r = await client.post("/api/notices", headers=world.organiser.headers, json={
        "template": "meeting_point", "team_id": team.id, "values": {"time": "12月07日 08:30", "place": "3号楼门口"}})
    assert r.status_code == 201, r.text
    assert r.json()["body"] == "党员先锋队：请于12月07日 08:30在3号楼门口集合，谢谢配合。" and r.json()["recipients"] == 2
    await events.drain(db)
    # Delivered again (a re-sent event): nothing new anywhere.
    async with db.session_scope() as s:
        event_id = await s.scalar(select(OutboxEvent.id).where(OutboxEvent.type == "notice.sent"))
        await s.execute(OutboxEvent.__table__.update().where(OutboxEvent.id == event_id).values(processed_at=None))
    await events.process_events(db, [event_id])
    assert await send_due_sms(db, db.settings) == 2
    assert sorted(m["phone"] for m in gateway.received) == sorted([world.volunteer.user.phone, other.user.phone])
    assert gateway.received[0]["params"] == {"scope": "党员先锋队", "time": "12月07日 08:30", "place": "3号楼门口"}
    for person in (world.volunteer, other):
        inbox = (await client.get("/api/notifications", headers=person.headers)).json()["items"]
        notices = [n for n in inbox if n["type"] == "notice.meeting_point"]
        assert len(notices) == 1 and notices[0]["title"] == "集合通知"
        assert notices[0]["sent_by"] == [{"channel": "sms", "status": "sent"}]


async def test_a_notice_to_an_activity_and_its_refusals(client, world, db, session, gateway) -> None:  # noqa: ANN001, F811
    activity = await create(client, world, title="楼道清洁")
    await client.post(f"/api/activities/{activity['id']}/signups", headers=world.volunteer.headers)
    r = await client.post("/api/notices", headers=world.organiser.headers, json={
        "template": "bring_items", "activity_id": activity["id"], "values": {"items": "手套、扫帚"}})
    assert r.status_code == 201 and r.json()["recipients"] == 1 and r.json()["body"].endswith("请记得携带手套、扫帚。")
    await events.drain(db)
    inbox = (await client.get("/api/notifications", headers=world.volunteer.headers)).json()["items"]
    assert inbox[0]["type"] == "notice.bring_items" and inbox[0]["activity_id"] == activity["id"]

    send = {"template": "bring_items", "activity_id": activity["id"], "values": {"items": "手套"}}
    assert (await client.post("/api/notices", headers=world.volunteer.headers, json=send)).status_code in (403, 404)
    outsider = await make_person(session, Role.ORGANISER, community=(await make_org(session)).community)
    assert (await client.post("/api/notices", headers=outsider.headers, json=send)).status_code == 404
    for body, code in [({**send, "template": "anything"}, "notice_template_unknown"),
                       ({**send, "values": {"items": ""}}, "notice_values_invalid"),
                       ({**send, "values": {"items": "很" * 31}}, "notice_values_invalid"),
                       ({"template": "bring_items", "values": {"items": "手套"}}, "notice_target_required")]:
        r = await client.post("/api/notices", headers=world.organiser.headers, json=body)
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    templates = (await client.get("/api/notices/templates", headers=world.organiser.headers)).json()
    assert [t["template"] for t in templates] == ["meeting_point", "time_changed", "bring_items"]
