"""The kiosk: rotating codes as JSON, SVG and PNG; the live count; the check-in policy."""

from __future__ import annotations

import datetime as dt

from servicebank.accounts.models import Role
from servicebank.checkins import tokens
from tests.checkins.helpers import code, make_activity, scan, scene, utcnow
from tests.factories import make_person


async def test_kiosk_code_is_a_signed_url_that_checks_in(client, session, settings) -> None:
    s = await scene(session)
    response = await client.get(f"/api/activities/{s.activity.id}/qr?purpose=check-in", headers=s.leader.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] == f"http://testserver/c/{body['token']}"
    assert body["rotation_seconds"] == 30 and body["purpose"] == "check-in"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(seconds=30) < expires - utcnow() <= dt.timedelta(seconds=60)
    assert tokens.verify_kiosk_token(body["token"], secret_key=settings.secret_key, rotation_seconds=30,
                                     purpose="check-in", now=utcnow()) == s.activity.id
    assert (await scan(client, "/api/check-ins", body["token"], s.volunteer)).status_code == 201


async def test_kiosk_code_as_images(client, session) -> None:
    s = await scene(session)
    base = f"/api/activities/{s.activity.id}/qr?purpose=check-out"
    svg = await client.get(f"{base}&format=svg", headers=s.organiser.headers)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content and svg.headers["cache-control"] == "no-store"
    png = await client.get(f"{base}&format=png", headers=s.organiser.headers)
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    bad = await client.get(f"{base}&format=gif", headers=s.organiser.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input"


async def test_kiosk_code_is_for_staff_of_the_community_only(client, session) -> None:
    s = await scene(session)
    path = f"/api/activities/{s.activity.id}/qr"
    volunteer = await client.get(path, headers=s.volunteer.headers)
    assert volunteer.status_code == 403 and volunteer.json()["code"] == "staff_required"
    stranger = await make_person(session, Role.ORGANISER, community=s.org.other)
    outsider = await client.get(path, headers=stranger.headers)
    assert outsider.status_code == 404
    assert (await client.get(path)).status_code == 401
    missing = await client.get("/api/activities/999999/qr", headers=s.organiser.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "activity_not_found"


async def test_live_count(client, session, settings) -> None:
    s = await scene(session)
    walker = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    await scan(client, "/api/check-ins", code(settings, s.activity.id), s.volunteer)
    await scan(client, "/api/check-ins", code(settings, s.activity.id), walker)
    await scan(client, "/api/check-outs", code(settings, s.activity.id, tokens.CHECK_OUT), walker)
    live = await client.get(f"/api/activities/{s.activity.id}/attendance/live", headers=s.leader.headers)
    assert live.status_code == 200
    assert (live.json()["checked_in"], live.json()["checked_out"], live.json()["expected"]) == (1, 1, 1)


async def test_policy_defaults_and_update(client, session) -> None:
    s = await scene(session)
    path = f"/api/activities/{s.activity.id}/checkin-policy"
    default = (await client.get(path, headers=s.leader.headers)).json()
    assert default == {"activity_id": s.activity.id, "radius_m": None, "geofence_mode": "flag",
                       "opens_minutes_before": 30, "grace_minutes_after_end": 60, "allow_walk_ins": None,
                       "geofence_active": False}
    body = {"radius_m": 300, "geofence_mode": "refuse", "opens_minutes_before": 15, "grace_minutes_after_end": 30,
            "allow_walk_ins": False}
    updated = await client.put(path, json=body, headers=s.organiser.headers)
    assert updated.status_code == 200, updated.text
    assert updated.json() == {**body, "activity_id": s.activity.id, "geofence_active": True}
    leader = await client.put(path, json=body, headers=s.leader.headers)
    assert leader.status_code == 403 and leader.json()["code"] == "organiser_required"


async def test_geofence_needs_the_activity_position(client, session) -> None:
    s = await scene(session)
    nowhere = await make_activity(session, s.org, position=None)
    response = await client.put(f"/api/activities/{nowhere.id}/checkin-policy", json={"radius_m": 200},
                                headers=s.organiser.headers)
    assert response.status_code == 422 and response.json()["code"] == "activity_has_no_position"
