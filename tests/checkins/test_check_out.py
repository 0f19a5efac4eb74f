"""Checking out: minutes clamped to the activity window, idempotent re-scans, auto-approval by kind."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebank.activities.models import ActivityKind
from servicebank.checkins import tokens
from servicebank.checkins.models import Attendance
from tests.checkins.helpers import (
    auto_approving_kind,
    code,
    event_types,
    events_of,
    get_attendance,
    scan,
    scene,
    set_policy,
    utcnow,
)

CHECK_INS = "/api/check-ins"
CHECK_OUTS = "/api/check-outs"


async def _checked_in_before(session, s, *, minutes_before_start: int = 20) -> Attendance:  # noqa: ANN001
    """An open record from a scan made before the start (the API refuses check-ins after the end)."""
    att = Attendance(activity_id=s.activity.id, volunteer_id=s.volunteer.volunteer.id, community_id=s.org.community.id,
                     checked_in_at=s.activity.starts_at - dt.timedelta(minutes=minutes_before_start),
                     status="checked_in", service_date=s.activity.starts_at.date(), flags=[])
    session.add(att)
    await session.commit()
    return att


async def test_check_out_after_the_end_counts_only_the_activity_window(client, session, settings, db) -> None:
    s = await scene(session, starts_in=dt.timedelta(hours=-3), duration=dt.timedelta(hours=2, minutes=50))
    await _checked_in_before(session, s)
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert response.status_code == 201, response.text
    body = response.json()["attendance"]
    assert body["status"] == "checked_out"
    # Arrived 20 minutes early and left after the end: only the 170 minutes of the activity count.
    assert body["served_minutes"] == 170
    assert await event_types(db) == []  # it waits for review: the organiser's decision writes the event


async def test_leaving_early_counts_the_time_actually_served(client, session, settings) -> None:
    s = await scene(session, starts_in=dt.timedelta(minutes=-45), duration=dt.timedelta(hours=2))
    await _checked_in_before(session, s, minutes_before_start=0)
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert response.json()["attendance"]["served_minutes"] in (44, 45)  # seconds pass between setup and scan


async def test_check_out_without_check_in_is_refused(client, session, settings) -> None:
    s = await scene(session)
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert response.status_code == 409
    assert response.json()["code"] == "not_checked_in"


async def test_check_out_twice_answers_with_the_closed_record(client, session, settings, db) -> None:
    s = await scene(session)
    assert (await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)).status_code == 201
    first = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    second = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False and second.json()["attendance"]["status"] == "checked_out"
    assert await event_types(db) == []
    # Scanning the check-in code again does not reopen it either.
    again = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    assert again.status_code == 200 and again.json()["attendance"]["status"] == "checked_out"


async def test_check_in_code_does_not_check_out(client, session, settings) -> None:
    s = await scene(session)
    await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id), s.volunteer)
    assert response.status_code == 400 and response.json()["code"] == "qr_token_wrong_purpose"


async def test_expired_check_out_code_is_refused(client, session, settings) -> None:
    s = await scene(session)
    await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    old = utcnow() - dt.timedelta(minutes=5)
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT, at=old), s.volunteer)
    assert response.status_code == 400 and response.json()["code"] == "qr_token_expired"


async def test_auto_approving_kind_is_approved_at_check_out(client, session, settings, db) -> None:
    await auto_approving_kind(session, "patrol")
    s = await scene(session, kind="patrol", starts_in=dt.timedelta(hours=-1))
    await _checked_in_before(session, s, minutes_before_start=0)
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    body = response.json()["attendance"]
    assert body["status"] == "approved" and body["revision"] == 1 and body["decided_at"]
    assert await events_of(db, "attendance.approved") == [{"attendance_id": body["id"], "revision": 1}]
    history = await client.get(f"/api/attendance/{body['id']}/history", headers=s.organiser.headers)
    assert [h["action"] for h in history.json()] == ["auto_approve"]


@pytest.mark.parametrize(("built_in", "own", "expected"), [
    (True, None, "approved"),  # the built-in kind decides when the community has none of its own
    (True, False, "checked_out"),  # the community's own kind wins, either way
    (False, True, "approved"),
    (None, None, "checked_out"),  # no kind of that code at all: reviewed by a person
])
async def test_the_communitys_own_kind_decides_auto_approval(client, session, settings, db, built_in, own,  # noqa: ANN001
                                                             expected) -> None:
    s = await scene(session, kind="patrol", starts_in=dt.timedelta(hours=-1))
    if built_in is not None:
        session.add(ActivityKind(code="patrol", name="治安巡逻", auto_approve=built_in))
    if own is not None:
        session.add(ActivityKind(code="patrol", name="夜间巡逻", auto_approve=own, community_id=s.org.community.id))
    session.add(ActivityKind(code="patrol", name="别的社区", auto_approve=not own, community_id=s.org.other.id))
    await session.commit()
    await _checked_in_before(session, s, minutes_before_start=0)
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert response.status_code == 201, response.text
    assert response.json()["attendance"]["status"] == expected
    assert len(await events_of(db, "attendance.approved")) == (expected == "approved")


async def test_flagged_record_of_auto_approving_kind_waits_for_review(client, session, settings, db) -> None:
    await auto_approving_kind(session, "patrol")
    s = await scene(session, kind="patrol")
    await set_policy(session, s.activity, radius_m=100, geofence_mode="flag")
    await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer, latitude=40.0, longitude=116.4)
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert response.json()["attendance"]["status"] == "checked_out"
    assert (await get_attendance(db, response.json()["attendance"]["id"])).revision == 0
    assert await events_of(db, "attendance.approved") == []


async def test_cancelled_activity_refuses_check_out(client, session, settings) -> None:
    s = await scene(session)
    await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    s.activity.status = "cancelled"
    session.add(s.activity)
    await session.commit()
    response = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert response.status_code == 409 and response.json()["code"] == "activity_cancelled"
