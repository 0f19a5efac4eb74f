"""The whole loop through the API: 点单 → 审核 → 派单/接单 → 服务 → 评单, with the ledger verified after it."""

from __future__ import annotations

from sqlalchemy import func, select

from servicebank.kernel import events
from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import OutboxEvent
from servicebank.ledger.models import Account, AccountKind
from servicebank.ledger.verify import verify
from servicebank.notifications.models import Notification
from servicebank.requests import posting
from servicebank.requests.models import RequestHistory, ServiceRequest
from tests.requests.support import make_street, open_in_hall, order
from tests.stores.support import credit


async def _balance(session, volunteer_id: int) -> int:  # noqa: ANN001
    return int(await session.scalar(select(Account.balance).where(
        Account.kind == AccountKind.VOLUNTEER, Account.owner_id == volunteer_id)) or 0)


async def test_loop_paid_by_the_resident_posts_once_and_verifies(client, db, session, monkeypatch) -> None:  # noqa: ANN001
    street = await make_street(session)
    await credit(session, volunteer_id=street.resident.volunteer.id, community_id=street.org.community.id, points=300)
    resident_id, helper_id = street.resident.volunteer.id, street.helper.volunteer.id
    created = await order(client, street, payer="self", urgency=2)
    assert created["status"] == "pending_review" and created["on_behalf"] is True
    request_id = await open_in_hall_after(client, street, created["id"])
    hall = (await client.get("/api/requests/hall", headers=street.helper.headers)).json()
    assert [r["id"] for r in hall] == [request_id]
    assert hall[0]["address"] is None and hall[0]["phone"] is None and hall[0]["resident"] == "赵*姨"
    r = await client.post(f"/api/requests/{request_id}/accept", headers=street.helper.headers)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert r.json()["phone"] == "13800001111" and "3号楼" in r.json()["address"]
    assert (await client.post(f"/api/requests/{request_id}/start", headers=street.helper.headers)).status_code == 200
    # 95 minutes served: quarter hours to nearest → 90 minutes, 90 points, paid by the resident.
    async with db.session_scope() as s:
        row = await s.get(ServiceRequest, request_id)
        row.started_at = utcnow().replace(microsecond=0) - __import__("datetime").timedelta(minutes=95)
    r = await client.post(f"/api/requests/{request_id}/finish", headers=street.helper.headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "awaiting_rating" and out["posted_minutes"] == 90 and out["posted_points"] == 90
    assert out["paid_by_payer"] == 90
    async with db.session_scope() as s:
        assert await _balance(s, resident_id) == 210
        assert await _balance(s, helper_id) == 90
    r = await client.post(f"/api/requests/{request_id}/rating", json={"stars": 5, "tags": ["准时", "耐心"],
                                                                       "comment": "很好"},
                          headers=street.resident.headers)
    assert r.status_code == 201 and r.json()["status"] == "completed" and r.json()["rating"]["stars"] == 5
    r = await client.post(f"/api/requests/{request_id}/rating", json={"stars": 4}, headers=street.resident.headers)
    assert r.status_code == 409 and r.json()["code"] == "request_already_rated"
    await events.drain(db)
    async with db.session_scope() as s:
        kinds = (await s.scalars(select(RequestHistory.type).where(RequestHistory.request_id == request_id)
                                 .order_by(RequestHistory.event_id))).all()
        assert kinds == ["request.created", "request.approved", "request.opened", "request.accepted",
                         "request.started", "request.finished", "request.rated"]
        assert await s.scalar(select(func.count(Notification.id))) > 0
        assert not (await s.scalars(select(OutboxEvent).where(OutboxEvent.processed_at.is_(None)))).all()
    report = await verify(db)
    assert not report.differs, report.as_dict()
    assert report.checks["request_postings"] == 0


async def open_in_hall_after(client, street, request_id: int) -> int:  # noqa: ANN001
    h = street.organiser.headers
    assert (await client.post(f"/api/requests/{request_id}/review", json={"approve": True}, headers=h)).status_code == 200
    r = await client.post(f"/api/requests/{request_id}/dispatch", json={"open_to_hall": True}, headers=h)
    assert r.status_code == 200, r.text
    return request_id


async def test_assigned_by_the_organiser_and_sponsored_by_the_community(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = (await order(client, street))["id"]
    h = street.organiser.headers
    await client.post(f"/api/requests/{request_id}/review", json={"approve": True}, headers=h)
    found = (await client.get(f"/api/communities/{street.org.community.id}/request-candidates", headers=h)).json()
    assert {c["volunteer_id"] for c in found} >= {street.second.volunteer.id, street.helper.volunteer.id}
    assert all(c["load"] == 0 and c["rating"] is None for c in found)
    r = await client.post(f"/api/requests/{request_id}/dispatch",
                          json={"volunteer_id": street.second.volunteer.id}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    mine = (await client.get("/api/requests/mine", headers=street.second.headers)).json()
    assert [m["id"] for m in mine] == [request_id] and mine[0]["phone"] == "13800001111"
    for step in ("start", "finish"):
        r = await client.post(f"/api/requests/{request_id}/{step}", headers=street.grid_worker.headers)
        assert r.status_code == 200, r.text
    # Served for less than a minute: rounds to zero minutes, nothing paid, still one posting.
    assert r.json()["posted_minutes"] == 0
    async with db.session_scope() as s:
        txn = await s.scalar(select(ServiceRequest.transaction_id).where(ServiceRequest.id == request_id))
        assert txn is not None
    assert posting.source_key(request_id) == f"request:{request_id}:service"
    r = await client.post(f"/api/requests/{request_id}/rating", json={"stars": 2, "comment": "迟到了"},
                          headers=street.grid_worker.headers)
    assert r.status_code == 201 and r.json()["rating"]["on_behalf"] is True and r.json()["rating"]["review_open"]
    url = f"/api/requests/{request_id}/rating/review"
    r = await client.post(url, json={"reason": "已回访，志愿者道歉"}, headers=street.grid_worker.headers)
    assert r.status_code == 403 and r.json()["code"] == "organiser_required"
    r = await client.post(url, json={"reason": "已回访，志愿者道歉"}, headers=h)
    assert r.status_code == 200 and r.json()["rating"]["review_open"] is False
    r = await client.post(url, json={"reason": "再次"}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "request_review_not_open"
    report = await verify(db)
    assert not report.differs, report.as_dict()


async def test_decline_needs_a_reason_and_closes_the_request(client, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = (await order(client, street, by=street.resident))["id"]
    h = street.organiser.headers
    r = await client.post(f"/api/requests/{request_id}/review", json={"approve": False}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = await client.post(f"/api/requests/{request_id}/review", json={"approve": False, "reason": "不在服务范围"},
                          headers=h)
    assert r.json()["status"] == "declined" and r.json()["decline_reason"] == "不在服务范围"
    r = await client.post(f"/api/requests/{request_id}/dispatch", json={"open_to_hall": True}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "request_wrong_state"


async def test_cancel_by_the_resident_records_who_and_why(client, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await open_in_hall(client, street)
    r = await client.post(f"/api/requests/{request_id}/cancel", json={"reason": "家人回来了"},
                          headers=street.resident.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "家人回来了"
    r = await client.post(f"/api/requests/{request_id}/accept", headers=street.helper.headers)
    assert r.status_code == 409 and r.json()["code"] == "request_wrong_state"  # no longer in the hall
