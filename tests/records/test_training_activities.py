"""Trainings held as activities (通用/专业/岗前培训): attending one makes exactly one training record with its hours,
never service hours; points only when the community's training rule says so, posted once however often the
attendance event is delivered."""

from __future__ import annotations

from sqlalchemy import func, select, update

from servicebank.accounts.models import Role
from servicebank.activities.models import Activity
from servicebank.audit.models import AuditEntry
from servicebank.checkins.models import AttendanceStatus
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from servicebank.ledger.models import AttendancePosting, ServiceCredit, Transaction
from servicebank.ledger.verify import verify
from servicebank.records import training_activities
from servicebank.records.models import ServiceClaim, TrainingRecord
from tests.factories import make_org, make_person
from tests.ledger.helpers import attend, decide, make_activity, settle
from tests.records.claim_helpers import claim_activity, past_activity
from tests.records.conftest import world  # noqa: F401 - the fixture
from tests.web.pages import log_in, text_of


async def _counts(db) -> tuple[int, int, int, int]:  # noqa: ANN001
    async with db.session_scope() as s:
        return (int(await s.scalar(select(func.count(TrainingRecord.id)))),
                int(await s.scalar(select(func.count(Transaction.id)).where(Transaction.kind == "training_points"))),
                int(await s.scalar(select(func.count(ServiceCredit.id)))),
                int(await s.scalar(select(func.count(AttendancePosting.attendance_id)))))


async def test_attending_a_training_records_training_not_service(client, db, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    course = await make_activity(session, org.community, kind="training_pre_service")
    await attend(session, course, volunteer.volunteer, minutes=95)
    await settle(db)
    assert await _counts(db) == (1, 0, 0, 0)  # a training record; no points (rule off), no service credit
    r = await client.get("/api/me/trainings", headers=volunteer.headers)
    body = r.json()
    assert body["minutes_by_category"]["pre_service"] == 90  # the kind's rule: quarter hours
    only = body["trainings"][0]
    assert (only["category"], only["title"], only["activity_id"], only["points"], only["recorded_by_user_id"]) == (
        "pre_service", course.title, course.id, 0, None)
    account = (await client.get(f"/api/volunteers/{volunteer.volunteer.id}/account", headers=volunteer.headers)).json()
    assert (account["balance"], account["service_minutes"]) == (0, 0)
    report = await verify(db)
    assert not report.differs, report.problems
    await log_in(client, volunteer)
    me = text_of((await client.get("/me")).text)
    assert course.title in me and "参加培训活动" in me and "1.5" in me


async def test_points_only_when_the_rule_says_so_and_exactly_once_under_redelivery(client, db, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    cid = org.community.id
    r = await client.get(f"/api/communities/{cid}/training-rule", headers=volunteer.headers)
    assert r.json() == {"community_id": cid, "earns_points": False}
    r = await client.put(f"/api/communities/{cid}/training-rule", json={"earns_points": True},
                         headers=volunteer.headers)
    assert r.status_code == 403
    r = await client.put(f"/api/communities/{cid}/training-rule", json={"earns_points": True},
                         headers=organiser.headers)
    assert r.json() == {"community_id": cid, "earns_points": True}
    course = await make_activity(session, org.community, kind="training_general")
    att = await attend(session, course, volunteer.volunteer, minutes=60)
    await settle(db)
    assert await _counts(db) == (1, 1, 0, 0)
    async with db.session_scope() as s:
        event = (await s.scalars(select(OutboxEvent).where(OutboxEvent.type == "attendance.approved"))).one()
        # The same event delivered again, twice, straight to the consumer: nothing more.
        for _ in range(2):
            await training_activities.record_trainings(s, [event])
    # And again through the outbox, as after a worker died before marking it processed.
    async with db.session_scope() as s:
        await s.execute(update(OutboxEvent).where(OutboxEvent.id == event.id).values(processed_at=None))
    await events.process_events(db, [event.id])
    assert await _counts(db) == (1, 1, 0, 0)
    r = await client.get("/api/me/trainings", headers=volunteer.headers)
    assert r.json()["trainings"][0]["points"] == 60 and r.json()["total_minutes"] == 60
    account = (await client.get(f"/api/volunteers/{volunteer.volunteer.id}/account", headers=volunteer.headers)).json()
    assert (account["balance"], account["service_minutes"]) == (60, 0)  # points, but no service time
    # A declined training keeps its record (nothing deleted) with no minutes, and its points are taken back.
    await decide(session, att, status=AttendanceStatus.DECLINED, event="attendance.declined")
    await settle(db)
    assert await _counts(db) == (1, 2, 0, 0)
    async with db.session_scope() as s:
        row = (await s.scalars(select(TrainingRecord))).one()
        assert (row.minutes, row.posted_points) == (0, 0)
        assert "training_rule.update" in (await s.scalars(select(AuditEntry.action))).all()
    report = await verify(db)
    assert not report.differs, report.problems


async def test_a_training_activity_cannot_be_claimed_as_service(client, db, world) -> None:  # noqa: ANN001, F811
    activity = await past_activity(client, db, world)
    async with db.session_scope() as s:
        await s.execute(update(Activity).where(Activity.id == activity["id"]).values(kind="training_professional"))
    r = await claim_activity(client, world, activity)
    assert r.status_code == 422 and r.json()["code"] == "claim_training_activity", r.text
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(ServiceClaim.id))) == 0
