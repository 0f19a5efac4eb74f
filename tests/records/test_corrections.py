"""Corrections on request: a volunteer asks to correct a record (times, activity); the organiser decides; an accepted
correction is a reversal plus a new posting (never an edit), every step audited and listed with the record, and
`ledger verify` checks both."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.checkins.models import Attendance, AttendanceAdjustment
from servicebank.kernel import events
from servicebank.ledger.models import ServiceCredit, Transaction
from servicebank.ledger.tally import tally
from servicebank.ledger.verify import verify
from servicebank.records.models import ServiceClaim
from tests.factories import make_person
from tests.records.claim_helpers import claim_activity, iso, past_activity


async def _recorded(client, world, activity) -> int:  # noqa: ANN001
    """The organiser records (and approves) the volunteer's attendance of the whole activity."""
    r = await client.post(f"/api/activities/{activity['id']}/attendance/manual", json={
        "volunteer_id": world.volunteer.volunteer.id, "checked_in_at": iso(activity["starts_at"]),
        "checked_out_at": iso(activity["ends_at"]), "reason": "签到表"}, headers=world.organiser.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _minutes(client, world) -> int:  # noqa: ANN001
    r = await client.get(f"/api/volunteers/{world.volunteer.volunteer.id}/account", headers=world.volunteer.headers)
    return r.json()["service_minutes"]


async def _kinds(db, **record: int) -> list[tuple[str, int]]:  # noqa: ANN001
    """(transaction kind, minutes) of a record's postings, in order."""
    column = ServiceCredit.attendance_id if "attendance_id" in record else ServiceCredit.claim_id
    async with db.session_scope() as s:
        rows = await s.execute(select(Transaction.kind, ServiceCredit.minutes)
                               .join(ServiceCredit, ServiceCredit.transaction_id == Transaction.id)
                               .where(column == next(iter(record.values()))).order_by(Transaction.id))
        return [(k, m) for k, m in rows.all()]


async def test_other_times_reverse_the_attendance_and_post_it_anew(client, db, world, session) -> None:  # noqa: ANN001
    activity = await past_activity(client, db, world, hours_ago=3)
    attendance_id = await _recorded(client, world, activity)
    await events.drain(db)
    assert await _minutes(client, world) == 120
    late = activity["starts_at"] + dt.timedelta(minutes=30)
    body = {"attendance_id": attendance_id, "started_at": iso(late), "ended_at": iso(activity["ends_at"]),
            "reason": "我晚到了半小时，记多了"}
    for change, code in (({"reason": ""}, "correction_reason_required"),
                         ({"started_at": iso(activity["starts_at"])}, "correction_no_change"),
                         ({"ended_at": iso(late)}, "correction_invalid_times"),
                         ({"claim_id": 1}, "correction_target_required")):
        r = await client.post("/api/me/corrections", json={**body, **change}, headers=world.volunteer.headers)
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    neighbour = await make_person(session, Role.VOLUNTEER, community=world.org.community)
    r = await client.post("/api/me/corrections", json=body, headers=neighbour.headers)
    assert r.status_code == 404 and r.json()["code"] == "correction_record_not_found"
    r = await client.post("/api/me/corrections", json=body, headers=world.volunteer.headers)
    assert r.status_code == 201, r.text
    asked = r.json()
    assert asked["status"] == "pending" and asked["record_title"] == activity["title"]
    r = await client.post("/api/me/corrections", json=body, headers=world.volunteer.headers)
    assert r.status_code == 409 and r.json()["code"] == "correction_pending"
    elsewhere = await make_person(session, Role.ORGANISER, community=world.org.other)
    r = await client.post(f"/api/corrections/{asked['id']}/accept", json={}, headers=elsewhere.headers)
    assert r.status_code == 404 and r.json()["code"] == "correction_not_found"
    r = await client.post(f"/api/corrections/{asked['id']}/accept", json={}, headers=world.volunteer.headers)
    assert r.status_code == 403
    r = await client.post(f"/api/corrections/{asked['id']}/accept", json={"reason": "已核对签到表"},
                          headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    r = await client.post(f"/api/corrections/{asked['id']}/decline", json={"reason": "x"},
                          headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "correction_already_decided"
    await events.drain(db)
    assert await _minutes(client, world) == 90
    assert await _kinds(db, attendance_id=attendance_id) == [("service", 120), ("service_reversal", -120),
                                                             ("service", 90)]
    async with db.session_scope() as s:
        history = (await s.scalars(select(AttendanceAdjustment.action)
                                   .where(AttendanceAdjustment.attendance_id == attendance_id))).all()
        assert history == ["manual_record", "correct"]
        actions = set((await s.scalars(select(AuditEntry.action))).all())
        assert {"service_correction.request", "service_correction.accept", "attendance.correct"} <= actions
    # Shown with the record: the volunteer's list and the organiser's.
    mine = (await client.get("/api/me/corrections", headers=world.volunteer.headers)).json()
    assert [(c["attendance_id"], c["status"], c["decision_reason"]) for c in mine] == [
        (attendance_id, "accepted", "已核对签到表")]
    report = await verify(db)
    assert not report.differs and report.checks["correction_postings"] == 0, report.as_dict()


async def test_another_activity_declines_the_wrong_record_and_records_the_right_one(client, db, world,
                                                                                    session) -> None:  # noqa: ANN001
    wrong = await past_activity(client, db, world, hours_ago=3)
    right = await past_activity(client, db, world, hours_ago=3)
    attendance_id = await _recorded(client, world, wrong)
    await events.drain(db)
    body = {"attendance_id": attendance_id, "activity_id": right["id"], "started_at": iso(right["starts_at"]),
            "ended_at": iso(right["ends_at"] - dt.timedelta(hours=1)), "reason": "扫错了活动的码"}
    other = await client.post("/api/activities", json={
        "community_id": world.org.other.id, "kind": "cleanup", "title": "别的社区", "starts_at": iso(right["starts_at"]),
        "ends_at": iso(right["ends_at"])}, headers=(await make_person(session, Role.ORGANISER,
                                                                         community=world.org.other)).headers)
    r = await client.post("/api/me/corrections", json={**body, "activity_id": other.json()["id"]},
                          headers=world.volunteer.headers)
    assert r.status_code == 422 and r.json()["code"] == "correction_activity_elsewhere"
    asked = (await client.post("/api/me/corrections", json=body, headers=world.volunteer.headers)).json()
    r = await client.post(f"/api/corrections/{asked['id']}/accept", json={}, headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["new_attendance_id"], r.text
    await events.drain(db)
    async with db.session_scope() as s:
        old, new = await s.get(Attendance, attendance_id), await s.get(Attendance, r.json()["new_attendance_id"])
        assert old.status == "declined" and new.activity_id == right["id"] and new.status == "approved"
    assert await _kinds(db, attendance_id=attendance_id) == [("service", 120), ("service_reversal", -120)]
    assert await _kinds(db, attendance_id=r.json()["new_attendance_id"]) == [("service", 60)]
    assert await _minutes(client, world) == 60
    report = await verify(db)
    assert not report.differs, report.as_dict()


async def test_a_claim_is_corrected_by_a_reversal_and_a_new_posting(client, db, world) -> None:  # noqa: ANN001
    activity = await past_activity(client, db, world, hours_ago=3)
    claim = (await claim_activity(client, world, activity)).json()
    body = {"claim_id": claim["id"], "started_at": iso(activity["starts_at"]),
            "ended_at": iso(activity["starts_at"] + dt.timedelta(hours=1)), "reason": "只服务了一小时"}
    r = await client.post("/api/me/corrections", json=body, headers=world.volunteer.headers)
    assert r.status_code == 409 and r.json()["code"] == "record_not_correctable"  # still waiting for its decision
    await client.post(f"/api/claims/{claim['id']}/approve", json={}, headers=world.organiser.headers)
    asked = (await client.post("/api/me/corrections", json=body, headers=world.volunteer.headers)).json()
    r = await client.post(f"/api/corrections/{asked['id']}/decline", json={"reason": " "},
                          headers=world.organiser.headers)
    assert r.status_code == 422 and r.json()["code"] == "correction_reason_required"
    r = await client.post(f"/api/corrections/{asked['id']}/accept", json={}, headers=world.organiser.headers)
    done = r.json()
    assert done["status"] == "accepted" and done["reversal_transaction_id"] and done["posting_transaction_id"]
    assert await _kinds(db, claim_id=claim["id"]) == [("claim_service", 120), ("correction_reversal", -120),
                                                     ("correction_service", 60)]
    got = (await client.get(f"/api/claims/{claim['id']}", headers=world.volunteer.headers)).json()
    assert (got["posted_minutes"], got["transaction_id"]) == (60, done["posting_transaction_id"])
    assert got["served_minutes"] == 120  # the claim as sent is kept; the correction says what counts now
    assert await _minutes(client, world) == 60
    # A second request, declined with a reason, changes nothing.
    again = (await client.post("/api/me/corrections", json={**body, "reason": "再改一次"},
                               headers=world.volunteer.headers)).json()
    r = await client.post(f"/api/corrections/{again['id']}/decline", json={"reason": "照片显示服务了一小时"},
                          headers=world.organiser.headers)
    assert r.json()["status"] == "declined" and await _minutes(client, world) == 60
    report = await verify(db)
    assert not report.differs and report.checks["claim_postings"] == 0, report.as_dict()
    # A kept figure that no longer matches its credits is what verify is for.
    async with db.session_scope() as s:
        await s.execute(update(ServiceClaim).where(ServiceClaim.id == claim["id"]).values(posted_minutes=90))
    report = await verify(db)
    assert report.checks["claim_postings"] == 1, report.as_dict()


async def test_a_corrected_event_delivered_again_posts_nothing(client, db, world) -> None:  # noqa: ANN001
    activity = await past_activity(client, db, world, hours_ago=3)
    attendance_id = await _recorded(client, world, activity)
    await events.drain(db)
    asked = (await client.post("/api/me/corrections", json={
        "attendance_id": attendance_id, "started_at": iso(activity["starts_at"] + dt.timedelta(minutes=30)),
        "ended_at": iso(activity["ends_at"]), "reason": "晚到"}, headers=world.volunteer.headers)).json()
    await client.post(f"/api/corrections/{asked['id']}/accept", json={}, headers=world.organiser.headers)
    await events.drain(db)
    async with db.session_scope() as s:
        event_id = await s.scalar(select(events.OutboxEvent.id).where(events.OutboxEvent.type == "attendance.corrected"))
        before = len((await s.scalars(select(Transaction.id))).all())
        assert await tally(s, [(event_id, attendance_id)], anew={attendance_id}) == []
        assert len((await s.scalars(select(Transaction.id))).all()) == before
    report = await verify(db)
    assert not report.differs, report.as_dict()
