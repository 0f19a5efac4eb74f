"""The organiser's review: approve, adjust, decline, no-show, manual records, bulk approval, auto-close."""

from __future__ import annotations

import datetime as dt

from servicebank.accounts.models import Role
from servicebank.checkins.closing import auto_close_due
from servicebank.checkins.models import Attendance
from servicebank.kernel import events
from servicebank.kernel.events import record_event
from tests.checkins.helpers import event_types, events_of, get_attendance, make_activity, scene, utcnow
from tests.factories import make_person


async def _record(session, s, *, status: str = "checked_out", flags=(), volunteer=None,  # noqa: ANN001
                  minutes: int = 90) -> Attendance:
    start = s.activity.starts_at
    att = Attendance(activity_id=s.activity.id, volunteer_id=(volunteer or s.volunteer.volunteer).id,
                     community_id=s.org.community.id, checked_in_at=start,
                     checked_out_at=start + dt.timedelta(minutes=minutes) if status != "checked_in" else None,
                     status=status, served_minutes=minutes if status != "checked_in" else 0,
                     service_date=start.date(), flags=list(flags))
    session.add(att)
    await session.commit()
    return att


async def _past_scene(session):  # noqa: ANN001, ANN202
    return await scene(session, starts_in=dt.timedelta(hours=-3), duration=dt.timedelta(hours=2))


async def test_approve_emits_the_event_once(client, session, db) -> None:
    s = await _past_scene(session)
    att = await _record(session, s)
    path = f"/api/attendance/{att.id}/approve"
    first = await client.post(path, json={}, headers=s.organiser.headers)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "approved" and first.json()["revision"] == 1
    assert first.json()["decided_by_user_id"] == s.organiser.user.id
    again = await client.post(path, json={}, headers=s.organiser.headers)
    assert again.json()["revision"] == 1
    assert await events_of(db, "attendance.approved") == [{"attendance_id": att.id, "revision": 1}]


async def test_only_organisers_review(client, session) -> None:
    s = await _past_scene(session)
    att = await _record(session, s)
    leader = await client.post(f"/api/attendance/{att.id}/approve", json={}, headers=s.leader.headers)
    assert leader.status_code == 403 and leader.json()["code"] == "organiser_required"
    stranger = await make_person(session, Role.ORGANISER, community=s.org.other)
    outsider = await client.post(f"/api/attendance/{att.id}/decline", json={"reason": "no"}, headers=stranger.headers)
    assert outsider.status_code == 404
    missing = await client.post("/api/attendance/999999/approve", json={}, headers=s.organiser.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "attendance_not_found"


async def test_open_record_cannot_be_approved(client, session) -> None:
    s = await _past_scene(session)
    att = await _record(session, s, status="checked_in")
    response = await client.post(f"/api/attendance/{att.id}/approve", json={}, headers=s.organiser.headers)
    assert response.status_code == 409 and response.json()["code"] == "attendance_still_open"


async def test_adjust_keeps_the_history_and_emits_adjusted_after_approval(client, session, db) -> None:
    s = await _past_scene(session)
    att = await _record(session, s)
    start = s.activity.starts_at
    body = {"checked_in_at": (start + dt.timedelta(minutes=15)).isoformat(),
            "checked_out_at": (start + dt.timedelta(minutes=75)).isoformat(), "reason": "arrived late, confirmed"}
    first = await client.post(f"/api/attendance/{att.id}/adjust", json=body, headers=s.organiser.headers)
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["served_minutes"], first.json()["revision"]) == ("approved", 60, 1)
    body["checked_out_at"] = (start + dt.timedelta(minutes=135)).isoformat()  # stayed on to tidy up
    second = await client.post(f"/api/attendance/{att.id}/adjust", json=body, headers=s.organiser.headers)
    assert (second.json()["served_minutes"], second.json()["revision"]) == (120, 2)
    assert await events_of(db, "attendance.approved") == [{"attendance_id": att.id, "revision": 1}]
    assert await events_of(db, "attendance.adjusted") == [{"attendance_id": att.id, "revision": 2}]
    history = (await client.get(f"/api/attendance/{att.id}/history", headers=s.organiser.headers)).json()
    assert [(h["action"], h["reason"], h["actor_user_id"]) for h in history] == [
        ("adjust", "arrived late, confirmed", s.organiser.user.id)] * 2
    assert history[0]["before"]["served_minutes"] == 90 and history[0]["after"]["served_minutes"] == 60


async def test_adjust_refuses_bad_times(client, session) -> None:
    s = await _past_scene(session)
    att = await _record(session, s)
    start = s.activity.starts_at
    cases = {
        "invalid_times": (start + dt.timedelta(hours=1), start),
        "times_in_future": (start, utcnow() + dt.timedelta(hours=1)),
        "times_outside_activity": (start - dt.timedelta(days=3), start - dt.timedelta(days=3, hours=-1)),
    }
    for expected, (t_in, t_out) in cases.items():
        response = await client.post(f"/api/attendance/{att.id}/adjust", headers=s.organiser.headers, json={
            "checked_in_at": t_in.isoformat(), "checked_out_at": t_out.isoformat(), "reason": "fix"})
        assert response.status_code == 422 and response.json()["code"] == expected, expected
    no_reason = await client.post(f"/api/attendance/{att.id}/adjust", headers=s.organiser.headers, json={
        "checked_in_at": start.isoformat(), "checked_out_at": (start + dt.timedelta(hours=1)).isoformat()})
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "invalid_input"


async def test_decline_reverses_an_approval_and_keeps_the_record(client, session, db) -> None:
    s = await _past_scene(session)
    att = await _record(session, s)
    await client.post(f"/api/attendance/{att.id}/approve", json={}, headers=s.organiser.headers)
    declined = await client.post(f"/api/attendance/{att.id}/decline", json={"reason": "was not there"},
                                 headers=s.organiser.headers)
    assert declined.json()["status"] == "declined" and declined.json()["revision"] == 2
    assert await events_of(db, "attendance.declined") == [{"attendance_id": att.id, "revision": 2}]
    no_reason = await client.post(f"/api/attendance/{att.id}/decline", json={}, headers=s.organiser.headers)
    assert no_reason.status_code == 400
    assert (await get_attendance(db, att.id)).served_minutes == 90


async def test_no_show_for_a_volunteer_who_never_scanned(client, session, db) -> None:
    s = await _past_scene(session)
    path = f"/api/activities/{s.activity.id}/attendance/no-show"
    response = await client.post(path, json={"volunteer_id": s.volunteer.volunteer.id}, headers=s.organiser.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "no_show" and response.json()["checked_in_at"] is None
    again = await client.post(path, json={"volunteer_id": s.volunteer.volunteer.id}, headers=s.organiser.headers)
    assert again.json()["id"] == response.json()["id"] and again.json()["revision"] == 1
    assert await events_of(db, "attendance.declined") == [{"attendance_id": response.json()["id"], "revision": 1}]


async def test_no_show_refused_for_a_checked_in_volunteer_or_before_the_start(client, session) -> None:
    s = await _past_scene(session)
    await _record(session, s, status="checked_in")
    path = f"/api/activities/{s.activity.id}/attendance/no-show"
    response = await client.post(path, json={"volunteer_id": s.volunteer.volunteer.id}, headers=s.organiser.headers)
    assert response.status_code == 409 and response.json()["code"] == "volunteer_checked_in"
    future = await make_activity(session, s.org)
    early = await client.post(f"/api/activities/{future.id}/attendance/no-show",
                              json={"volunteer_id": s.volunteer.volunteer.id}, headers=s.organiser.headers)
    assert early.status_code == 409 and early.json()["code"] == "activity_not_started"


async def test_manual_record_is_approved_and_unique(client, session, db) -> None:
    s = await _past_scene(session)
    start = s.activity.starts_at
    body = {"volunteer_id": s.volunteer.volunteer.id, "checked_in_at": start.isoformat(),
            "checked_out_at": (start + dt.timedelta(minutes=100)).isoformat(), "reason": "no phone, paper list"}
    path = f"/api/activities/{s.activity.id}/attendance/manual"
    created = await client.post(path, json=body, headers=s.organiser.headers)
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["served_minutes"]) == ("approved", 100)
    assert created.json()["flags"] == ["manual"]
    duplicate = await client.post(path, json=body, headers=s.organiser.headers)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "attendance_exists"
    assert duplicate.json()["attendance_id"] == created.json()["id"]
    stranger = await make_person(session, Role.VOLUNTEER, community=s.org.other)
    other = await client.post(path, json={**body, "volunteer_id": stranger.volunteer.id}, headers=s.organiser.headers)
    assert other.status_code == 404 and other.json()["code"] == "volunteer_not_found"


async def test_bulk_approve_skips_flagged_records_unless_asked(client, session, db) -> None:
    s = await _past_scene(session)
    second = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    third = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    plain = await _record(session, s)
    walk_in = await _record(session, s, volunteer=second.volunteer, flags=["walk_in"])
    flagged = await _record(session, s, volunteer=third.volunteer, status="auto_closed", flags=["auto_closed"])
    path = f"/api/activities/{s.activity.id}/attendance/approve"
    first = await client.post(path, json={}, headers=s.organiser.headers)
    assert first.status_code == 200, first.text
    assert first.json()["approved"] == [plain.id, walk_in.id]
    assert first.json()["skipped"] == [{"attendance_id": flagged.id, "code": "flagged", "flags": ["auto_closed"]}]
    forced = await client.post(path, json={"include_flagged": True}, headers=s.organiser.headers)
    assert forced.json() == {"approved": [flagged.id], "skipped": []}
    assert len(await events_of(db, "attendance.approved")) == 3
    listed = (await client.get(f"/api/activities/{s.activity.id}/attendance", headers=s.leader.headers)).json()
    assert {a["status"] for a in listed} == {"approved"} and all(a["volunteer_name"] for a in listed)


async def test_open_records_are_closed_after_the_end_plus_grace(session, db) -> None:
    s = await _past_scene(session)  # ended an hour ago; default grace is 60 minutes
    ongoing = await scene(session, starts_in=dt.timedelta(hours=-1))
    att = await _record(session, s, status="checked_in")
    still_open = await _record(session, ongoing, status="checked_in")
    async with db.session_scope() as tx:
        assert await auto_close_due(tx, now=s.activity.ends_at + dt.timedelta(minutes=59)) == []
    async with db.session_scope() as tx:
        assert await auto_close_due(tx, now=s.activity.ends_at + dt.timedelta(minutes=61)) == [att.id]
    async with db.session_scope() as tx:
        assert await auto_close_due(tx, now=utcnow()) == []
    closed = await get_attendance(db, att.id)
    assert closed.status == "auto_closed" and closed.flags == ["auto_closed"] and closed.served_minutes == 120
    assert (await get_attendance(db, still_open.id)).status == "checked_in"
    assert await event_types(db) == []  # closed by the clock: the organiser's decision writes the event


async def test_cancelling_an_activity_closes_open_check_ins(session, db) -> None:
    s = await scene(session, starts_in=dt.timedelta(hours=-1))
    att = await _record(session, s, status="checked_in")
    async with db.session_scope() as tx:
        await record_event(tx, "activity.cancelled", {"activity_id": s.activity.id, "reason": "rain"})
    await events.drain(db)
    closed = await get_attendance(db, att.id)
    assert closed.status == "auto_closed" and "activity_cancelled" in closed.flags
    assert 55 <= closed.served_minutes <= 61


async def test_volunteer_sees_their_own_records_only(client, session) -> None:
    s = await _past_scene(session)
    att = await _record(session, s)
    mine = await client.get("/api/attendance/mine", headers=s.volunteer.headers)
    assert [a["id"] for a in mine.json()] == [att.id] and mine.json()[0]["activity_title"]
    peer = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    assert (await client.get(f"/api/attendance/{att.id}", headers=peer.headers)).status_code == 404
    assert (await client.get(f"/api/attendance/{att.id}", headers=s.volunteer.headers)).status_code == 200
