"""The 派单台 queue pages through requests of several states in one order: most urgent first, then oldest.

The statement merges one ordered scan per state (requests/repository._in_states); a page must be exactly the slice
of the whole queue sorted in Python, for any limit and offset, whichever states are asked for.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from servicebank.requests.models import RequestStatus, ServiceRequest, Urgency
from tests.requests.support import make_street, order

STATES = (RequestStatus.PENDING_REVIEW, RequestStatus.AWAITING_DISPATCH, RequestStatus.OPEN, RequestStatus.CANCELLED)


async def test_queue_pages_are_slices_of_one_order(client, session, db) -> None:  # noqa: ANN001
    street = await make_street(session)
    base = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    made: dict[int, tuple[str, int, dt.datetime]] = {}
    for i in range(13):
        request_id = (await order(client, street))["id"]
        # Ties in urgency and creation time on purpose: the id decides them.
        made[request_id] = (STATES[i % 4], Urgency.ALL[(i * 7) % 3], base + dt.timedelta(minutes=(i * 5) % 4))
    async with db.session_scope() as s:
        for request_id, (status, urgency, created_at) in made.items():
            await s.execute(update(ServiceRequest).where(ServiceRequest.id == request_id)
                            .values(status=status, urgency=urgency, created_at=created_at))

    def expected(states: tuple[str, ...]) -> list[int]:
        wanted = [(-u, c, rid) for rid, (st, u, c) in made.items() if st in states]
        return [rid for _, _, rid in sorted(wanted)]

    url = f"/api/communities/{street.org.community.id}/request-queue"
    waiting = STATES[:3]
    for limit, offset in ((50, 0), (3, 0), (3, 3), (4, 7), (2, 9), (5, 20)):
        r = await client.get(url, params={"limit": limit, "offset": offset}, headers=street.organiser.headers)
        assert r.status_code == 200, r.text
        assert [x["id"] for x in r.json()] == expected(waiting)[offset:offset + limit], (limit, offset)
    for states in ((RequestStatus.OPEN,), (RequestStatus.CANCELLED, RequestStatus.PENDING_REVIEW)):
        r = await client.get(url, params={"status": list(states), "limit": 4, "offset": 1},
                             headers=street.organiser.headers)
        assert [x["id"] for x in r.json()] == expected(states)[1:5], states
