"""The periodic check: escalation after the community's time (team leaders, then organisers), expiry when the
last window ended unaccepted, completion when the rating window closed; running it twice changes nothing more."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import OutboxEvent
from servicebank.requests import serving
from servicebank.requests.models import ServiceRequest
from tests.requests.support import make_street, open_in_hall


async def test_escalate_expire_and_close(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    slow = await open_in_hall(client, street)
    late = await open_in_hall(client, street)
    served = await open_in_hall(client, street)
    await client.post(f"/api/requests/{served}/accept", headers=street.helper.headers)
    for step in ("start", "finish"):
        await client.post(f"/api/requests/{served}/{step}", headers=street.helper.headers)
    now = utcnow()
    async with db.session_scope() as s:
        await s.execute(update(ServiceRequest).where(ServiceRequest.id == slow)
                        .values(created_at=now - dt.timedelta(minutes=250)))  # policy default: 120 min
        await s.execute(update(ServiceRequest).where(ServiceRequest.id == late)
                        .values(window_end=now - dt.timedelta(minutes=1)))
        await s.execute(update(ServiceRequest).where(ServiceRequest.id == served)
                        .values(finished_at=now - dt.timedelta(days=8)))
    async with db.session_scope() as s:
        assert await serving.periodic_check(s, now=now) == {"expired": 1, "escalated": 2, "closed": 1, "reminded": 0}
    async with db.session_scope() as s:
        assert await serving.periodic_check(s, now=now) == {"expired": 0, "escalated": 0, "closed": 0, "reminded": 0}
        rows = {r.id: r for r in (await s.scalars(select(ServiceRequest))).all()}
        levels = [e.payload["level"] for e in (await s.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "request.escalated").order_by(OutboxEvent.id))).all()]
    assert rows[slow].escalation_level == 2 and levels == [1, 2]
    assert rows[late].status == "expired" and rows[served].status == "completed"
    r = await client.post(f"/api/requests/{served}/rating", json={"stars": 5}, headers=street.resident.headers)
    assert r.status_code == 409 and r.json()["code"] == "request_wrong_state"
