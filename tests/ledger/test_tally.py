"""Attendance decisions become service minutes and points by the rules, once, with corrections as reversals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from servicebank.checkins.models import AttendanceStatus
from servicebank.kernel import events
from servicebank.kernel.db import Database
from servicebank.kernel.events import OutboxEvent, record_event
from servicebank.ledger.models import (
    Account,
    AccountKind,
    AttendancePosting,
    HoursRule,
    ServiceCredit,
    Transaction,
    VolunteerStanding,
)
from servicebank.ledger.verify import verify
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import attend, decide, make_activity, settle


async def _balance(db: Database, volunteer_id: int) -> int:
    async with db.session_scope() as s:
        return int(await s.scalar(select(Account.balance).where(
            Account.kind == AccountKind.VOLUNTEER, Account.owner_id == volunteer_id)) or 0)


async def _standing(db: Database, volunteer_id: int) -> VolunteerStanding | None:
    async with db.session_scope() as s:
        return await s.get(VolunteerStanding, volunteer_id)


async def _assert_consistent(db: Database) -> None:
    report = await verify(db)
    assert report.ok, report.as_dict()


class TestApproval:
    async def test_approved_attendance_earns_rounded_minutes_and_points(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        activity = await make_activity(session, org.community)
        await attend(session, activity, vol, minutes=128)  # 2 h 08 -> quarter hours -> 2 h 15
        await settle(db)
        standing = await _standing(db, vol.id)
        assert standing.service_minutes == 135 and standing.points_earned == 135
        assert await _balance(db, vol.id) == 135
        await _assert_consistent(db)

    async def test_kind_rule_multiplier_and_rounding_are_data_with_versions(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        session.add_all([HoursRule(kind="patrol", version=1, multiplier_permille=1200, rounding_minutes=30),
                         HoursRule(kind="patrol", version=2, multiplier_permille=1500, rounding_minutes=30,
                                   rounding="down")])
        await session.commit()
        activity = await make_activity(session, org.community, kind="patrol")
        att = await attend(session, activity, vol, minutes=100)  # down to 90 min, x1.5 = 135 points
        await settle(db)
        async with db.session_scope() as s:
            credit = (await s.scalars(select(ServiceCredit).where(ServiceCredit.attendance_id == att.id))).one()
        assert (credit.minutes, credit.points, credit.rule_version, credit.rule_source) == (90, 135, 2, "global")

    async def test_community_rule_beats_global_and_activity_override_beats_both(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        session.add_all([HoursRule(kind="patrol", multiplier_permille=1500, rounding_minutes=1),
                         HoursRule(kind="patrol", community_id=org.community.id, multiplier_permille=2000,
                                   rounding_minutes=1)])
        await session.commit()
        plain = await make_activity(session, org.community, kind="patrol")
        special = await make_activity(session, org.community, kind="patrol",
                                      override={"multiplier_permille": 3000, "rounding_minutes": 60,
                                                "rounding": "up"})
        a1 = await attend(session, plain, vol, minutes=61)
        a2 = await attend(session, special, vol, minutes=61, service_date=dt.date(2026, 11, 4))
        await settle(db)
        async with db.session_scope() as s:
            rows = {c.attendance_id: c for c in (await s.scalars(select(ServiceCredit))).all()}
        assert (rows[a1.id].minutes, rows[a1.id].points, rows[a1.id].rule_source) == (61, 122, "community")
        assert (rows[a2.id].minutes, rows[a2.id].points, rows[a2.id].rule_source) == (120, 360, "community+activity")

    async def test_paid_service_earns_minutes_but_no_points_unless_rule_says_so(self, db: Database, session) -> None:
        org = await make_org(session)
        paid = await make_volunteer(session, org.community, paid_service=True)
        activity = await make_activity(session, org.community)
        await attend(session, activity, paid, minutes=60)
        await settle(db)
        standing = await _standing(db, paid.id)
        assert (standing.service_minutes, standing.points_earned) == (60, 0)
        assert await _balance(db, paid.id) == 0
        session.add(HoursRule(kind="care", paid_service_earns_points=True, rounding_minutes=1))
        await session.commit()
        care = await make_activity(session, org.community, kind="care")
        await attend(session, care, paid, minutes=30, service_date=dt.date(2026, 11, 5))
        await settle(db)
        assert await _balance(db, paid.id) == 30
        await _assert_consistent(db)

    async def test_override_can_switch_points_off(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        activity = await make_activity(session, org.community, override={"earns_points": False})
        await attend(session, activity, vol, minutes=60)
        await settle(db)
        standing = await _standing(db, vol.id)
        assert (standing.service_minutes, standing.points_earned) == (60, 0)

    async def test_daily_cap_counts_other_attendances_of_the_day(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        session.add(HoursRule(kind="*", community_id=org.community.id, daily_cap_minutes=300, rounding_minutes=1))
        await session.commit()
        first = await make_activity(session, org.community)
        second = await make_activity(session, org.community)
        await attend(session, first, vol, minutes=200)
        await attend(session, second, vol, minutes=200)
        await settle(db)
        assert (await _standing(db, vol.id)).service_minutes == 300

    async def test_unapproved_states_post_nothing(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        activity = await make_activity(session, org.community)
        await attend(session, activity, vol, minutes=60, status=AttendanceStatus.CHECKED_OUT)
        await settle(db)
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(Transaction)) == 0


class TestCorrections:
    async def test_decline_after_posting_reverses_and_references_the_original(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        activity = await make_activity(session, org.community)
        att = await attend(session, activity, vol, minutes=60)
        await settle(db)
        await decide(session, att, status=AttendanceStatus.DECLINED, event="attendance.declined")
        await settle(db)
        async with db.session_scope() as s:
            txns = (await s.scalars(select(Transaction).order_by(Transaction.id))).all()
        assert [t.kind for t in txns] == ["service", "service_reversal"]
        assert txns[1].reverses_id == txns[0].id
        assert await _balance(db, vol.id) == 0
        assert (await _standing(db, vol.id)).service_minutes == 0
        await _assert_consistent(db)

    async def test_adjustment_posts_only_the_difference(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        activity = await make_activity(session, org.community)
        att = await attend(session, activity, vol, minutes=60)
        await settle(db)
        await decide(session, att, status=AttendanceStatus.APPROVED, minutes=90, event="attendance.adjusted")
        await settle(db)
        async with db.session_scope() as s:
            txns = (await s.scalars(select(Transaction).order_by(Transaction.id))).all()
            posting = await s.get(AttendancePosting, att.id)
        assert [t.kind for t in txns] == ["service", "service_adjustment"]
        assert (posting.minutes, posting.points, posting.revision) == (90, 90, 2)
        assert await _balance(db, vol.id) == 90

    async def test_redelivered_and_duplicate_events_have_one_effect(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        activity = await make_activity(session, org.community)
        att = await attend(session, activity, vol, minutes=60)
        await record_event(session, "attendance.approved", {"attendance_id": att.id, "revision": 1})
        await session.commit()
        async with db.session_scope() as s:
            ids = list((await s.scalars(select(OutboxEvent.id))).all())
        await events.process_events(db, ids)
        await events.process_events(db, ids)
        # Replaying the same events as new outbox rows (a bug upstream) still posts nothing more.
        async with db.session_scope() as s:
            await record_event(s, "attendance.approved", {"attendance_id": att.id, "revision": 1})
        await settle(db)
        assert await _balance(db, vol.id) == 60
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(Transaction)) == 1


class TestStarLevels:
    async def test_crossing_a_threshold_announces_the_level_once(self, db: Database, session) -> None:
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        session.add(HoursRule(kind="marathon", daily_cap_minutes=None, rounding_minutes=1))
        await session.commit()
        activity = await make_activity(session, org.community, kind="marathon", hours=200)
        att = await attend(session, activity, vol, minutes=100 * 60)
        await settle(db)
        await decide(session, att, status=AttendanceStatus.APPROVED, minutes=99 * 60, event="attendance.adjusted")
        await settle(db)
        await decide(session, att, status=AttendanceStatus.APPROVED, minutes=101 * 60, event="attendance.adjusted")
        await settle(db)
        async with db.session_scope() as s:
            reached = (await s.scalars(select(OutboxEvent).where(OutboxEvent.type == "ledger.star_level_reached"))).all()
        assert [e.payload for e in reached] == [{"volunteer_id": vol.id, "level": 1}]
        assert (await _standing(db, vol.id)).star_level == 1


class TestBatches:
    async def test_one_dispatch_batch_posts_every_attendance_and_isolates_a_bad_one(self, db: Database,
                                                                                    session) -> None:
        org = await make_org(session)
        vols = [await make_volunteer(session, org.community) for _ in range(6)]
        activity = await make_activity(session, org.community)
        for vol in vols:
            await attend(session, activity, vol, minutes=60)
        # An event naming an attendance that does not exist posts nothing and breaks nothing.
        await record_event(session, "attendance.approved", {"attendance_id": 999_999})
        await session.commit()
        async with db.session_scope() as s:
            ids = list((await s.scalars(select(OutboxEvent.id))).all())
        assert await events.process_events(db, ids) == len(ids)
        for vol in vols:
            assert await _balance(db, vol.id) == 60
        await _assert_consistent(db)
