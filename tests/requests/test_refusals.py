"""Bad input gets a stable code and changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import OutboxEvent
from servicebank.requests.models import RequestRating, ServiceRequest
from tests.requests.support import category_id, make_street, open_in_hall, order, window


async def _counts(db) -> tuple[int, int, int]:  # noqa: ANN001
    async with db.session_scope() as s:
        return (int(await s.scalar(select(func.count(ServiceRequest.id)))),
                int(await s.scalar(select(func.count(OutboxEvent.id)))),
                int(await s.scalar(select(func.count(RequestRating.id)))))


async def _refused(client, db, method_url: tuple[str, str], body: dict | None, headers: dict,  # noqa: ANN001
                   status: int, code: str) -> None:
    before = await _counts(db)
    method, url = method_url
    r = await client.request(method, url, json=body, headers=headers)
    assert (r.status_code, r.json().get("code")) == (status, code), r.text
    assert await _counts(db) == before


async def test_bad_orders_are_refused(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    cat = await category_id(client, street)
    base = {"household_id": street.household.id, "category_id": cat, "description": "买菜", "windows": [window()]}
    h = street.grid_worker.headers
    post = ("POST", "/api/requests")
    await _refused(client, db, post, {**base, "category_id": 999_999}, h, 422, "request_category_unknown")
    past = {"start": (utcnow() - dt.timedelta(hours=3)).isoformat(), "end": (utcnow() - dt.timedelta(hours=1)).isoformat()}
    await _refused(client, db, post, {**base, "windows": [past]}, h, 422, "request_window_past")
    # The resident's own coins, but they hold none: refused before anything is written.
    await _refused(client, db, post, {**base, "payer": "self"}, h, 409, "payer_balance_too_low")
    await _refused(client, db, post, {**base, "payer": "family", "payer_volunteer_id": street.helper.volunteer.id}, h,
                   403, "payer_not_family")
    await _refused(client, db, post, base, street.helper.headers, 404, "household_not_found")


async def test_rating_twice_and_someone_elses(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await open_in_hall(client, street)
    await client.post(f"/api/requests/{request_id}/accept", headers=street.helper.headers)
    url = ("POST", f"/api/requests/{request_id}/rating")
    await _refused(client, db, url, {"stars": 5}, street.resident.headers, 409, "request_wrong_state")
    for step in ("start", "finish"):
        assert (await client.post(f"/api/requests/{request_id}/{step}", headers=street.helper.headers)).status_code == 200
    await _refused(client, db, url, {"stars": 5}, street.second.headers, 403, "request_not_yours")
    await _refused(client, db, url, {"stars": 5}, street.outsider.headers, 404, "request_not_found")
    await _refused(client, db, url, {"stars": 9}, street.resident.headers, 422, "rating_stars_invalid")
    assert (await client.post(url[1], json={"stars": 4}, headers=street.resident.headers)).status_code == 201
    await _refused(client, db, url, {"stars": 5}, street.grid_worker.headers, 409, "request_already_rated")


async def test_accepting_outside_ones_community_and_own_request(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await open_in_hall(client, street)
    url = ("POST", f"/api/requests/{request_id}/accept")
    await _refused(client, db, url, None, street.outsider.headers, 404, "request_not_found")
    await _refused(client, db, url, None, street.resident.headers, 403, "request_own")
    await _refused(client, db, url, None, street.organiser.headers, 403, "volunteer_required")
    assert (await client.get("/api/requests/hall", headers=street.outsider.headers)).json() == []


async def test_pool_pays_up_to_the_monthly_limit(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    community_id = street.org.community.id
    r = await client.put(f"/api/communities/{community_id}/request-policy",
                         json={"escalate_after_minutes": 60, "pool_monthly_limit": 0, "contact_days_after": 3},
                         headers=street.organiser.headers)
    assert r.status_code == 200, r.text
    base = {"household_id": street.household.id, "category_id": await category_id(client, street),
            "description": "陪诊", "windows": [window()], "payer": "pool"}
    await _refused(client, db, ("POST", "/api/requests"), base, street.grid_worker.headers, 409, "pool_monthly_limit")
    assert (await order(client, street))["payer"] == "none"
