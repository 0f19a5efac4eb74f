"""The one-statement own check-out of an auto-approving kind writes exactly what the general path writes: the
approved record, its history row and its `attendance.approved` event, so the ledger posts it once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update

from servicebank.accounts.models import Role
from servicebank.checkins import fast_scan, routes, tokens
from servicebank.checkins.models import Attendance, AttendanceAdjustment
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from servicebank.leaderboards.rebuild import rebuild_redis
from servicebank.ledger.models import AttendancePosting
from servicebank.ledger.verify import verify
from tests.checkins.helpers import auto_approving_kind, code, scan, scene, set_policy, sign_up
from tests.checkins.test_fast_scan import _statements as sent_statements
from tests.factories import make_person

pytestmark = pytest.mark.postgres_only
CHECK_INS = "/api/check-ins"
CHECK_OUTS = "/api/check-outs"
# What differs between two volunteers' records by nature (created_at: when each checked in); everything else must be
# equal, the check-out's times included.
PER_RECORD = {"id", "volunteer_id", "attendance_id", "created_at", "sa_orm_sentinel"}


async def _written(db: Any, attendance_id: int) -> dict[str, Any]:  # noqa: ANN401
    """The record, its history and its events, without what names the record itself."""
    async with db.session_scope() as s:
        att = await s.get(Attendance, attendance_id)
        history = (await s.scalars(select(AttendanceAdjustment).where(
            AttendanceAdjustment.attendance_id == attendance_id))).all()
        sent = (await s.scalars(select(OutboxEvent).where(
            OutboxEvent.payload["attendance_id"].as_integer() == attendance_id))).all()

        def plain(row: Any, table: Any) -> dict[str, Any]:  # noqa: ANN401
            return {c.key: getattr(row, c.key) for c in table.c if c.key not in PER_RECORD}

        return {"record": plain(att, Attendance.__table__),
                "history": [plain(h, AttendanceAdjustment.__table__) for h in history],
                "events": [(e.type, {k: v for k, v in e.payload.items() if k != "attendance_id"},
                            e.created_at, e.processed_at, e.attempts, e.dead) for e in sent]}


async def _two_checked_in(client, session, settings, *, kind: str = "patrol", **scene_fields: Any):  # noqa: ANN001, ANN202
    """A scene whose volunteer and a second one are checked in at the same instant."""
    s = await scene(session, kind=kind, starts_in=dt.timedelta(minutes=-30), **scene_fields)
    other = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    await sign_up(session, s.activity, other.volunteer.id)
    for person in (s.volunteer, other):
        assert (await scan(client, CHECK_INS, code(settings, s.activity.id), person)).status_code == 201
    same = s.activity.starts_at + dt.timedelta(minutes=1, seconds=7, microseconds=250_000)
    await session.execute(update(Attendance).where(Attendance.activity_id == s.activity.id).values(checked_in_at=same))
    await session.commit()
    return s, other


async def _both_paths(client, settings, db, s, other, monkeypatch, at: dt.datetime):  # noqa: ANN001, ANN202
    """Check both volunteers out at the same instant `at`: one by the statement, one by the general path."""
    monkeypatch.setattr(routes, "utcnow", lambda: at)
    sent = {"n": 0}
    original = fast_scan.self_check_out

    async def counted(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        sent["n"] += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(fast_scan, "self_check_out", counted)
    token = code(settings, s.activity.id, tokens.CHECK_OUT, at=at)
    statements = await sent_statements(db)
    fast = await scan(client, CHECK_OUTS, token, s.volunteer)
    assert fast.status_code == 201, fast.text
    # Closed, and approved with its history and event when the kind says so, in one statement: no BEGIN, no COMMIT.
    assert sent["n"] == 1 and len(statements) == 1, statements
    with monkeypatch.context() as patch:
        patch.setattr(fast_scan, "available", lambda _session: False)
        general = await scan(client, CHECK_OUTS, token, other)
    assert general.status_code == 201, general.text
    assert sent["n"] == 1, "the general path ran the statement"
    return fast, general


# A time with microseconds, and one without: the history row's JSON writes them as Python's isoformat() does.
@pytest.mark.parametrize("microsecond", [654_321, 0], ids=["microseconds", "whole-second"])
async def test_an_auto_approved_check_out_writes_what_the_general_path_writes(client, session, settings, db,  # noqa: ANN001
                                                                              monkeypatch, microsecond: int) -> None:
    await auto_approving_kind(session, "patrol")
    s, other = await _two_checked_in(client, session, settings)
    at = dt.datetime.now(dt.UTC).replace(microsecond=microsecond)
    fast, general = await _both_paths(client, settings, db, s, other, monkeypatch, at)

    assert fast.json()["attendance"]["status"] == "approved"
    assert fast.json()["message"] == general.json()["message"] == "Checked out and approved."
    written = await _written(db, fast.json()["attendance"]["id"])
    assert written == await _written(db, general.json()["attendance"]["id"])
    assert written["record"]["revision"] == 1 and written["record"]["decided_at"] == at
    assert [h["action"] for h in written["history"]] == ["auto_approve"]
    assert written["events"] == [("attendance.approved", {"revision": 1}, at, None, 0, False)]
    drop = {"id", "volunteer_id"}
    assert {k: v for k, v in fast.json()["attendance"].items() if k not in drop} == \
        {k: v for k, v in general.json()["attendance"].items() if k not in drop}

    # The ledger posts each once, and a second delivery of every event changes nothing.
    await rebuild_redis(db)
    await events.drain(db)
    async with db.session_scope() as s2:
        await s2.execute(update(OutboxEvent).values(processed_at=None))
    await events.drain(db)
    async with db.session_scope() as s2:
        posted = (await s2.scalars(select(AttendancePosting.attendance_id))).all()
    assert sorted(posted) == sorted([fast.json()["attendance"]["id"], general.json()["attendance"]["id"]])
    report = await verify(db)
    assert report.ok, report.as_dict()


async def test_a_flagged_record_of_an_auto_approving_kind_is_closed_for_review_on_both_paths(
        client, session, settings, db, monkeypatch) -> None:  # noqa: ANN001
    await auto_approving_kind(session, "patrol")
    s, other = await _two_checked_in(client, session, settings)
    # A flag an organiser must see (as a geofence in flag mode leaves it), on both records.
    await session.execute(update(Attendance).where(Attendance.activity_id == s.activity.id)
                          .values(flags=["no_location"]))
    await session.commit()
    fast, general = await _both_paths(client, settings, db, s, other, monkeypatch, dt.datetime.now(dt.UTC))
    assert fast.json()["attendance"]["status"] == general.json()["attendance"]["status"] == "checked_out"
    written = await _written(db, fast.json()["attendance"]["id"])
    assert written == await _written(db, general.json()["attendance"]["id"])
    assert written["record"]["revision"] == 0 and written["history"] == [] and written["events"] == []


async def test_a_reviewed_kind_still_closes_without_decision_on_both_paths(client, session, settings, db,  # noqa: ANN001
                                                                           monkeypatch) -> None:
    s, other = await _two_checked_in(client, session, settings, kind="cleanup")
    await set_policy(session, s.activity, grace_minutes_after_end=30)
    fast, general = await _both_paths(client, settings, db, s, other, monkeypatch, dt.datetime.now(dt.UTC))
    assert fast.json()["message"] == general.json()["message"] == "Checked out."
    written = await _written(db, fast.json()["attendance"]["id"])
    assert written == await _written(db, general.json()["attendance"]["id"])
    assert written["record"]["status"] == "checked_out" and written["events"] == []
