"""Serving by scanning at the door: the volunteer scans the household's 门牌码, or the 网格员 scans the volunteer's
card; the first scan starts, the next finishes through the same hours rules and ledger posting; the geofence; and
every refusal changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from servicebank.checkins.tokens import issue_card_token
from servicebank.kernel.clock import utcnow
from servicebank.ledger.models import Transaction
from servicebank.ledger.verify import verify
from servicebank.requests.models import Household, ServiceRequest
from tests.conftest import TEST_SECRET
from tests.requests.support import Street, make_street, open_in_hall

HOME = (31.2304, 121.4737)
NEXT_DOOR = (31.2305, 121.4738)  # about 15 m away
ACROSS_TOWN = (31.2404, 121.4837)  # about 1.4 km away


async def _accepted(client, street: Street) -> int:  # noqa: ANN001
    request_id = await open_in_hall(client, street)
    r = await client.post(f"/api/requests/{request_id}/accept", headers=street.helper.headers)
    assert r.status_code == 200, r.text
    return request_id


async def _door_code(client, street: Street) -> str:  # noqa: ANN001
    r = await client.get(f"/api/households/{street.household.id}/door-code", headers=street.grid_worker.headers)
    assert r.status_code == 200, r.text
    assert r.json()["url"].endswith("/d/" + r.json()["token"])
    return r.json()["token"]


async def _state(db, request_id: int) -> tuple[str, str | None, str | None]:  # noqa: ANN001
    async with db.session_scope() as s:
        row = await s.get(ServiceRequest, request_id)
        return row.status, row.started_via, row.finished_via


async def _posted(db) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count(Transaction.id))) or 0)


async def _back_date_start(db, request_id: int, minutes: int) -> None:  # noqa: ANN001
    async with db.session_scope() as s:
        row = await s.get(ServiceRequest, request_id)
        row.started_at = utcnow().replace(microsecond=0) - dt.timedelta(minutes=minutes)


async def test_the_door_code_starts_then_finishes_and_posts_once(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await _accepted(client, street)
    token = await _door_code(client, street)
    svg = await client.get(f"/api/households/{street.household.id}/door-code?format=svg",
                           headers=street.organiser.headers)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    r = await client.post("/api/requests/scan", json={"door_code": token}, headers=street.helper.headers)
    assert r.status_code == 200, r.text
    assert r.json()["step"] == "started" and r.json()["request"]["status"] == "in_service"
    await _back_date_start(db, request_id, 62)
    # The whole address the camera read works as well as the token alone.
    r = await client.post("/api/requests/scan", json={"door_code": f"http://127.0.0.1:8000/d/{token}"},
                          headers=street.helper.headers)
    assert r.status_code == 200, r.text
    out = r.json()["request"]
    assert r.json()["step"] == "finished" and out["status"] == "awaiting_rating"
    assert out["posted_minutes"] == 60 and out["posted_points"] == 60  # the built-in quarter hours
    assert await _state(db, request_id) == ("awaiting_rating", "door", "door")
    r = await client.post("/api/requests/scan", json={"door_code": token}, headers=street.helper.headers)
    assert r.status_code == 404 and r.json()["code"] == "request_scan_no_task"
    report = await verify(db)
    assert not report.differs, report.as_dict()


async def test_door_code_refusals_change_nothing(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await _accepted(client, street)
    token = await _door_code(client, street)
    forged = token.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAA"
    for body, who, status, code in [
        ({"door_code": forged}, street.helper, 400, "door_code_invalid"),
        ({"door_code": "v.1.1.abc"}, street.helper, 400, "door_code_invalid"),
        ({}, street.helper, 422, "request_scan_code_required"),
        ({"door_code": token, "card": "v.1.1.x"}, street.helper, 422, "request_scan_code_required"),
        ({"door_code": token}, street.second, 404, "request_scan_no_task"),  # not their task
        ({"door_code": token}, street.outsider, 404, "request_scan_no_task"),
        ({"door_code": token}, street.organiser, 404, "request_scan_no_task"),  # staff scan the card instead
    ]:
        r = await client.post("/api/requests/scan", json=body, headers=who.headers)
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
    # Only staff print or reissue a household's code; outsiders learn nothing of the household.
    r = await client.get(f"/api/households/{street.household.id}/door-code", headers=street.helper.headers)
    assert r.status_code == 403 and r.json()["code"] == "staff_required"
    r = await client.get(f"/api/households/{street.household.id}/door-code", headers=street.outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "household_not_found"
    r = await client.post(f"/api/households/{street.household.id}/door-code/reissue", json={"reason": " "},
                          headers=street.grid_worker.headers)
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    assert await _state(db, request_id) == ("accepted", None, None)
    r = await client.post(f"/api/households/{street.household.id}/door-code/reissue", json={"reason": "门牌码丢了"},
                          headers=street.grid_worker.headers)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["token"] != token
    r = await client.post("/api/requests/scan", json={"door_code": token}, headers=street.helper.headers)
    assert r.status_code == 403 and r.json()["code"] == "door_code_revoked"
    assert await _state(db, request_id) == ("accepted", None, None)


async def test_the_geofence_refuses_a_scan_away_from_the_door(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    community_id = street.org.community.id
    request_id = await _accepted(client, street)
    token = await _door_code(client, street)
    h = street.organiser.headers
    r = await client.put(f"/api/households/{street.household.id}/position", json={"latitude": HOME[0]},
                         headers=street.grid_worker.headers)
    assert r.status_code == 422 and r.json()["code"] == "household_position_invalid"
    r = await client.put(f"/api/households/{street.household.id}/position",
                         json={"latitude": HOME[0], "longitude": HOME[1]}, headers=street.grid_worker.headers)
    assert r.status_code == 200 and r.json()["latitude"] == HOME[0]
    # Without the community's radius the position is not asked for: a scan from anywhere would do.
    r = await client.put(f"/api/communities/{community_id}/request-policy", json={"geofence_metres": 5}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "request_policy_invalid"
    r = await client.put(f"/api/communities/{community_id}/request-policy", json={"geofence_metres": 200}, headers=h)
    assert r.status_code == 200 and r.json()["geofence_metres"] == 200
    refusals = [
        ({"door_code": token}, 422, "request_position_required"),
        ({"door_code": token, "latitude": ACROSS_TOWN[0], "longitude": ACROSS_TOWN[1]}, 403, "request_too_far"),
    ]
    for body, status, code in refusals:
        r = await client.post("/api/requests/scan", json=body, headers=street.helper.headers)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    far = {"latitude": ACROSS_TOWN[0], "longitude": ACROSS_TOWN[1]}
    r = await client.post(f"/api/requests/{request_id}/start", json=far, headers=street.helper.headers)
    assert r.status_code == 403 and r.json()["code"] == "request_too_far"  # the task's button too
    assert r.json()["radius_m"] == 200 and r.json()["distance_m"] > 1000
    assert await _state(db, request_id) == ("accepted", None, None)
    near = {"door_code": token, "latitude": NEXT_DOOR[0], "longitude": NEXT_DOOR[1]}
    r = await client.post("/api/requests/scan", json=near, headers=street.helper.headers)
    assert r.status_code == 200 and r.json()["step"] == "started"
    # Staff finishing from the desk for a volunteer without a phone vouch for it: no position asked.
    r = await client.post(f"/api/requests/{request_id}/finish", headers=street.grid_worker.headers)
    assert r.status_code == 200 and r.json()["status"] == "awaiting_rating"
    assert await _state(db, request_id) == ("awaiting_rating", "door", "button")


async def test_the_grid_worker_scans_the_volunteers_card(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await _accepted(client, street)
    helper = street.helper.volunteer
    card = issue_card_token(secret_key=TEST_SECRET, volunteer_id=helper.id, card_version=helper.card_version)
    for who, status, code in [(street.second, 403, "staff_required"), (street.outsider, 404, "community_not_found")]:
        r = await client.post("/api/requests/scan", json={"card": card}, headers=who.headers)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    r = await client.post("/api/requests/scan", json={"card": "v.1.1.forged"}, headers=street.grid_worker.headers)
    assert r.status_code == 400 and r.json()["code"] == "card_invalid"
    assert await _state(db, request_id) == ("accepted", None, None)
    r = await client.post("/api/requests/scan", json={"card": card}, headers=street.grid_worker.headers)
    assert r.status_code == 200 and r.json()["step"] == "started", r.text
    await _back_date_start(db, request_id, 30)
    before = await _posted(db)
    r = await client.post("/api/requests/scan", json={"card": card}, headers=street.grid_worker.headers)
    assert r.status_code == 200 and r.json()["step"] == "finished"
    assert r.json()["request"]["posted_minutes"] == 30
    assert await _posted(db) == before + 1
    assert await _state(db, request_id) == ("awaiting_rating", "card", "card")
    report = await verify(db)
    assert not report.differs, report.as_dict()


async def test_a_card_with_tasks_at_two_homes_needs_the_household(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    first = await _accepted(client, street)
    other = Household(community_id=street.org.community.id, grid_id=street.org.grid.id, building="5号楼",
                      unit="1单元101", name="钱大爷")
    session.add(other)
    await session.commit()
    street.household = other
    second = await _accepted(client, street)
    helper = street.helper.volunteer
    card = issue_card_token(secret_key=TEST_SECRET, volunteer_id=helper.id, card_version=helper.card_version)
    r = await client.post("/api/requests/scan", json={"card": card}, headers=street.grid_worker.headers)
    assert r.status_code == 409 and r.json()["code"] == "request_scan_ambiguous"
    assert await _state(db, first) == ("accepted", None, None) and await _state(db, second) == ("accepted", None, None)
    r = await client.post("/api/requests/scan", json={"card": card, "household_id": other.id},
                          headers=street.grid_worker.headers)
    assert r.status_code == 200 and r.json()["request"]["id"] == second
    async with db.session_scope() as s:
        volunteer = await s.get(type(helper), helper.id)
        volunteer.card_version += 1
    r = await client.post("/api/requests/scan", json={"card": card, "household_id": other.id},
                          headers=street.grid_worker.headers)
    assert r.status_code == 403 and r.json()["code"] == "card_revoked"
    assert await _state(db, second) == ("in_service", "card", None)
