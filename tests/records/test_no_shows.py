"""No-shows (爽约): noticed once after the end, the policy's hold on sign-ups, approval, excuses, the policy."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from servicebank.notifications.models import Notification
from servicebank.records import no_shows, policy
from servicebank.records.models import NoShow
from tests.activities.conftest import create
from tests.factories import make_org, make_person
from tests.records.conftest import end_activity, miss


async def test_only_confirmed_places_without_a_check_in_count_and_marking_twice_adds_nothing(
        client, world, session, db) -> None:  # noqa: ANN001
    came, withdrew, missed, marked = [await make_person(session, Role.VOLUNTEER, community=world.org.community)
                                      for _ in range(4)]
    activity = await create(client, world)
    aid = activity["id"]
    for person in (came, withdrew, missed, marked):
        assert (await client.post(f"/api/activities/{aid}/signups", headers=person.headers)).status_code == 201
    assert (await client.delete(f"/api/activities/{aid}/signups/me", headers=withdrew.headers)).status_code == 200
    await end_activity(db, aid)
    now = dt.datetime.now(dt.UTC)
    async with db.session_scope() as s:
        s.add(Attendance(activity_id=aid, volunteer_id=came.volunteer.id, community_id=world.org.community.id,
                         checked_in_at=now - dt.timedelta(hours=2), status=AttendanceStatus.CHECKED_IN,
                         served_minutes=0, flags=[], service_date=now.date()))
        # The organiser's own "did not come" mark has no check-in either: still a no-show.
        s.add(Attendance(activity_id=aid, volunteer_id=marked.volunteer.id, community_id=world.org.community.id,
                         status=AttendanceStatus.NO_SHOW, served_minutes=0, flags=[], service_date=now.date()))
    async with db.session_scope() as s:
        assert await no_shows.mark_ended(s) == 2
    async with db.session_scope() as s:
        assert await no_shows.mark_ended(s) == 0
        who = set((await s.scalars(select(NoShow.volunteer_id))).all())
    assert who == {missed.volunteer.id, marked.volunteer.id}


async def test_cancelled_and_running_activities_make_no_no_shows(client, world, db) -> None:  # noqa: ANN001
    running = await create(client, world)
    await client.post(f"/api/activities/{running['id']}/signups", headers=world.volunteer.headers)
    cancelled = await create(client, world)
    await client.post(f"/api/activities/{cancelled['id']}/signups", headers=world.volunteer.headers)
    await client.post(f"/api/activities/{cancelled['id']}/cancel", json={"reason": "暴雨"},
                      headers=world.organiser.headers)
    await end_activity(db, cancelled["id"])
    async with db.session_scope() as s:
        assert await no_shows.mark_ended(s) == 0


async def test_three_no_shows_hold_new_sign_ups_until_the_organiser_approves(client, world, db) -> None:  # noqa: ANN001
    v = world.volunteer
    for _ in range(3):
        await miss(client, db, world, v)
    r = await client.get("/api/me/no-shows", headers=v.headers)
    assert r.json()["counted"] == 3 and r.json()["hold_code"] == "no_show_limit"
    assert "爽约" in r.json()["hold_message"] and len(r.json()["no_shows"]) == 3
    activity = await create(client, world, capacity=5)
    aid = activity["id"]
    r = await client.post(f"/api/activities/{aid}/signups", headers=v.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["status"], body["hold_code"]) == ("pending_approval", "no_show_limit")
    assert "3 次" in body["hold_message"] and "社工审核" in body["hold_message"]
    r = await client.post(f"/api/activities/{aid}/signups", headers=v.headers)
    assert r.status_code == 409 and r.json()["code"] == "already_signed_up"
    r = await client.get(f"/api/activities/{aid}", headers=v.headers)
    assert r.json()["confirmed_count"] == 0 and r.json()["can_sign_up"] is False
    r = await client.get(f"/api/activities/{aid}/signups", headers=world.organiser.headers)
    assert [(s["status"], s["no_show_count"]) for s in r.json()] == [("pending_approval", 3)]
    await events.drain(db)
    async with db.session_scope() as s:
        told = (await s.execute(select(Notification.user_id, Notification.title)
                                .where(Notification.type == "signup.held"))).all()
    assert told == [(world.organiser.user.id, "有报名待审核：楼道清洁")]
    r = await client.post(f"/api/activities/{aid}/signups/{v.volunteer.id}/approve", json={"reason": "已电话确认"},
                          headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = await client.post(f"/api/activities/{aid}/signups/{v.volunteer.id}/approve", headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "signup_not_held"
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "signup.approve")) == 1
        confirmed = await s.scalar(select(func.count()).select_from(OutboxEvent)
                                   .where(OutboxEvent.type == "signup.confirmed",
                                          OutboxEvent.payload["activity_id"].as_integer() == aid))
    assert confirmed == 1


async def test_a_held_sign_up_can_be_declined_and_staff_sign_ups_are_not_held(client, world, db, session) -> None:  # noqa: ANN001
    v = world.volunteer
    for _ in range(3):
        await miss(client, db, world, v)
    activity = await create(client, world)
    await client.post(f"/api/activities/{activity['id']}/signups", headers=v.headers)
    r = await client.post(f"/api/activities/{activity['id']}/signups/{v.volunteer.id}/decline",
                          json={"reason": "名额有限"}, headers=world.volunteer.headers)
    assert r.status_code == 403
    r = await client.post(f"/api/activities/{activity['id']}/signups/{v.volunteer.id}/decline",
                          json={"reason": "名额有限"}, headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["status"] == "declined"
    # 代报名: the organiser's own sign-up of the volunteer is their approval.
    other = await create(client, world)
    r = await client.post(f"/api/activities/{other['id']}/signups", json={"volunteer_id": v.volunteer.id},
                          headers=world.organiser.headers)
    assert r.status_code == 201 and r.json()["status"] == "confirmed"


async def test_excusing_a_no_show_is_audited_notified_and_lifts_the_hold(client, world, db, session) -> None:  # noqa: ANN001
    v = world.volunteer
    for _ in range(3):
        await miss(client, db, world, v)
    listed = (await client.get(f"/api/volunteers/{v.volunteer.id}/no-shows", headers=world.organiser.headers)).json()
    target = listed["no_shows"][0]["id"]
    r = await client.post(f"/api/no-shows/{target}/excuse", json={"reason": "住院"}, headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "organiser_required"
    outsider_org = await make_org(session)
    outsider = await make_person(session, Role.ORGANISER, community=outsider_org.community)
    r = await client.post(f"/api/no-shows/{target}/excuse", json={"reason": "住院"}, headers=outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "no_show_not_found"
    r = await client.post(f"/api/no-shows/{target}/excuse", json={"reason": "  "}, headers=world.organiser.headers)
    assert r.status_code == 422 and r.json()["code"] == "excuse_reason_required"
    r = await client.post(f"/api/no-shows/{target}/excuse", json={"reason": "住院"}, headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["excuse_reason"] == "住院"
    r = await client.post(f"/api/no-shows/{target}/excuse", json={"reason": "住院"}, headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "no_show_already_excused"
    r = await client.get("/api/me/no-shows", headers=v.headers)
    assert r.json()["counted"] == 2 and r.json()["hold_code"] is None and len(r.json()["no_shows"]) == 3
    await events.drain(db)
    async with db.session_scope() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "no_show.excuse"))
        notes = (await s.scalars(select(Notification.title).where(Notification.type == "no_show.excused"))).all()
    assert entry is not None and entry.reason == "住院" and entry.after["excused_by_user_id"] is not None
    assert len(notes) == 1 and "爽约记录已撤销" in notes[0]


async def test_the_policy_is_per_community_and_checked(client, world, db) -> None:  # noqa: ANN001
    cid, v = world.org.community.id, world.volunteer
    r = await client.get(f"/api/communities/{cid}/no-show-policy", headers=v.headers)
    assert r.json() == {"community_id": cid, "enabled": True, "threshold": 3, "window_days": 90, "approval_days": 30}
    bad = {"threshold": 0, "window_days": 90, "approval_days": 30}
    r = await client.put(f"/api/communities/{cid}/no-show-policy", json=bad, headers=world.organiser.headers)
    assert r.status_code == 422 and r.json()["code"] == "invalid_no_show_policy"
    r = await client.put(f"/api/communities/{cid}/no-show-policy", json={**bad, "threshold": 1},
                         headers=v.headers)
    assert r.status_code == 403
    r = await client.put(f"/api/communities/{cid}/no-show-policy", json={**bad, "threshold": 1},
                         headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["threshold"] == 1
    await miss(client, db, world, v)
    activity = await create(client, world)
    r = await client.post(f"/api/activities/{activity['id']}/signups", headers=v.headers)
    assert r.json()["status"] == "pending_approval"
    await client.put(f"/api/communities/{cid}/no-show-policy", json={**bad, "threshold": 1, "enabled": False},
                     headers=world.organiser.headers)
    other = await create(client, world)
    r = await client.post(f"/api/activities/{other['id']}/signups", headers=v.headers)
    assert r.json()["status"] == "confirmed"


def test_a_hold_starts_at_the_no_show_that_reaches_the_threshold_and_lasts_the_approval_period() -> None:
    rule = policy.Rule(enabled=True, threshold=3, window_days=90, approval_days=30)
    day = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    spread = [day, day + dt.timedelta(days=60), day + dt.timedelta(days=120)]
    assert policy.held_until(spread, rule) is None  # never three inside 90 days
    close = [day, day + dt.timedelta(days=10), day + dt.timedelta(days=20)]
    assert policy.held_until(close, rule) == day + dt.timedelta(days=50)
    assert policy.held_until(close, policy.Rule(enabled=False, threshold=3, window_days=90, approval_days=30)) is None
