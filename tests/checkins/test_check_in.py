"""Checking in with the kiosk code: the happy path, every refusal and its stable code."""

from __future__ import annotations

import datetime as dt

from servicebank.accounts.models import Role
from servicebank.activities.models import ActivityStatus
from servicebank.checkins import tokens
from servicebank.volunteers.models import VolunteerStatus
from tests.checkins.helpers import (
    attendance_count,
    code,
    event_types,
    make_activity,
    scan,
    scene,
    set_policy,
    sign_up,
    utcnow,
)
from tests.factories import make_person

CHECK_INS = "/api/check-ins"


async def test_signed_up_volunteer_checks_in_with_one_scan(client, session, settings, db) -> None:
    s = await scene(session)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    assert response.status_code == 201, response.text
    body = response.json()
    att = body["attendance"]
    assert body["created"] is True
    assert att["status"] == "checked_in" and att["volunteer_id"] == s.volunteer.volunteer.id
    assert att["flags"] == [] and att["proxy_by_user_id"] is None and att["revision"] == 0
    local_start = s.activity.starts_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert att["service_date"] == local_start.date().isoformat()
    assert await event_types(db) == []  # nothing consumes a check-in: the row is the record


async def test_scanning_twice_answers_with_the_existing_record(client, session, settings, db) -> None:
    s = await scene(session)
    first = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    second = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False
    assert second.json()["attendance"]["id"] == first.json()["attendance"]["id"]
    assert await attendance_count(db) == 1


async def test_code_of_the_previous_window_is_still_accepted(client, session, settings) -> None:
    s = await scene(session)
    previous = utcnow() - dt.timedelta(seconds=settings.qr_rotation_seconds)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id, at=previous), s.volunteer)
    assert response.status_code == 201, response.text


async def test_expired_code_is_refused(client, session, settings, db) -> None:
    s = await scene(session)
    old = utcnow() - dt.timedelta(seconds=2 * settings.qr_rotation_seconds)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id, at=old), s.volunteer)
    assert response.status_code == 400
    assert response.json()["code"] == "qr_token_expired"
    assert await attendance_count(db) == 0


async def test_forged_and_altered_codes_are_refused(client, session, settings) -> None:
    s = await scene(session)
    genuine = code(settings, s.activity.id)
    other = await make_activity(session, s.org)
    body, _, signature = genuine.rpartition(".")
    purpose, _, window = body.split(".")
    forged = [
        f"{body}.{'A' * len(signature)}",  # wrong signature
        f"{purpose}.{other.id}.{window}.{signature}",  # signature of another activity
        tokens.issue_kiosk_token(secret_key="another-installation-secret", rotation_seconds=30,
                                 activity_id=s.activity.id, purpose="check-in", now=utcnow()).token,
        "garbage", f"{purpose}.{s.activity.id}.{int(window) + 5}.{signature}",
    ]
    for token in forged:
        response = await scan(client, CHECK_INS, token, s.volunteer)
        assert response.status_code == 400, token
        assert response.json()["code"] == "qr_token_invalid", token


async def test_code_of_another_activity_is_refused_when_the_page_expects_one(client, session, settings) -> None:
    s = await scene(session)
    other = await make_activity(session, s.org)
    response = await scan(client, CHECK_INS, code(settings, other.id), s.volunteer, activity_id=s.activity.id)
    assert response.status_code == 400
    assert response.json()["code"] == "qr_token_other_activity"


async def test_check_out_code_does_not_check_in(client, session, settings) -> None:
    s = await scene(session)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id, tokens.CHECK_OUT), s.volunteer)
    assert response.status_code == 400
    assert response.json()["code"] == "qr_token_wrong_purpose"


async def test_check_in_opens_the_configured_time_before_the_start(client, session, settings) -> None:
    s = await scene(session, starts_in=dt.timedelta(minutes=45))
    early = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    assert early.status_code == 409
    assert early.json()["code"] == "checkin_not_open" and "opens_at" in early.json()
    await set_policy(session, s.activity, opens_minutes_before=60)
    assert (await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)).status_code == 201


async def test_check_in_after_the_end_is_refused(client, session, settings) -> None:
    s = await scene(session, starts_in=dt.timedelta(hours=-3), duration=dt.timedelta(hours=2))
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    assert response.status_code == 409
    assert response.json()["code"] == "activity_ended"


async def test_cancelled_and_unpublished_activities_refuse_check_in(client, session, settings) -> None:
    for status, expected in ((ActivityStatus.CANCELLED, "activity_cancelled"),
                             (ActivityStatus.DRAFT, "activity_not_published")):
        s = await scene(session, status=status)
        response = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
        assert response.status_code == 409
        assert response.json()["code"] == expected


async def test_walk_in_is_allowed_without_capacity_and_flagged(client, session, settings) -> None:
    s = await scene(session)
    walker = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), walker)
    assert response.status_code == 201
    assert response.json()["attendance"]["flags"] == ["walk_in"]


async def test_waitlisted_volunteer_is_a_walk_in(client, session, settings) -> None:
    s = await scene(session)
    waiting = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    await sign_up(session, s.activity, waiting.volunteer.id, status="waitlisted")
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), waiting)
    assert response.json()["attendance"]["flags"] == ["walk_in"]


async def test_walk_in_is_refused_when_the_activity_is_full(client, session, settings) -> None:
    s = await scene(session, capacity=2)
    first = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    second = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    assert (await scan(client, CHECK_INS, code(settings, s.activity.id), first)).status_code == 201
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), second)
    assert response.status_code == 409
    assert response.json()["code"] == "activity_full"
    # A volunteer with a confirmed place is never turned away by the count.
    assert (await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)).status_code == 201


async def test_walk_ins_can_be_switched_off_or_forced_on(client, session, settings) -> None:
    s = await scene(session)
    walker = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    await set_policy(session, s.activity, allow_walk_ins=False)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), walker)
    assert response.status_code == 403
    assert response.json()["code"] == "walk_in_not_allowed"
    assert (await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)).status_code == 201


async def test_volunteer_of_another_community_without_a_place_is_refused(client, session, settings) -> None:
    s = await scene(session)
    outsider = await make_person(session, Role.VOLUNTEER, community=s.org.other)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), outsider)
    assert response.status_code == 403
    assert response.json()["code"] == "volunteer_other_community"


async def test_inactive_volunteer_is_refused(client, session, settings) -> None:
    s = await scene(session)
    s.volunteer.volunteer.status = VolunteerStatus.SUSPENDED
    session.add(s.volunteer.volunteer)
    await session.commit()
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    assert response.status_code == 403
    assert response.json()["code"] == "volunteer_not_active"


async def test_check_in_needs_a_login_and_a_volunteer_account(client, session, settings) -> None:
    s = await scene(session)
    anonymous = await client.post(CHECK_INS, json={"token": code(settings, s.activity.id)})
    assert anonymous.status_code == 401
    staff_only = await scan(client, CHECK_INS, code(settings, s.activity.id), s.organiser)
    assert staff_only.status_code == 403
    assert staff_only.json()["code"] == "volunteer_required"


async def test_geofence_refuses_far_away_scans(client, session, settings, db) -> None:
    s = await scene(session)
    await set_policy(session, s.activity, radius_m=200, geofence_mode="refuse")
    far = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer, latitude=39.95, longitude=116.40)
    assert far.status_code == 403
    assert far.json()["code"] == "outside_geofence" and far.json()["distance_m"] > 5000
    blind = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer)
    assert blind.status_code == 422 and blind.json()["code"] == "location_required"
    assert await attendance_count(db) == 0
    near = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer,
                      latitude=39.9045, longitude=116.4075)
    assert near.status_code == 201
    assert near.json()["attendance"]["distance_m"] < 50 and near.json()["attendance"]["flags"] == []


async def test_geofence_in_flag_mode_accepts_but_flags(client, session, settings) -> None:
    s = await scene(session)
    await set_policy(session, s.activity, radius_m=200, geofence_mode="flag")
    far = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer, latitude=39.95, longitude=116.40)
    assert far.status_code == 201
    assert far.json()["attendance"]["flags"] == ["outside_geofence"]


async def test_bad_request_body_is_refused_with_invalid_input(client, session, settings) -> None:
    s = await scene(session)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), s.volunteer, latitude=200.0)
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
