"""The 接单大厅 and 派单台 pages PostgreSQL writes as JSON (requests/page_json.py) are the pages the general path
builds, byte for byte once parsed: every field, masking, contact, ratings, datetimes with and without microseconds,
order and paging."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from sqlalchemy import update

from servicebank.accounts.models import Role
from servicebank.requests import views
from servicebank.requests.models import Household, RequestRating, RequestStatus, ServiceRequest
from tests.factories import make_person
from tests.requests.support import make_street, open_in_hall, order, principal_of

pytestmark = pytest.mark.postgres_only


async def _general(db, call, **kwargs) -> list:  # noqa: ANN001
    """What the general path (Python rows to RequestOut, encoded by msgspec) answers."""
    async with db.session_scope() as s:
        return msgspec.json.decode(msgspec.json.encode(await call(s, **kwargs)))


async def test_the_written_pages_are_the_built_ones(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    community_id = street.org.community.id
    # Residents with names of every masking length, and the helper's own household (their contact they see).
    households = [street.household]
    for name, volunteer_id in (("李", None), ("王五", None), (" 欧阳娜娜 ", None), ("钱阿姨", street.helper.volunteer.id),
                               ("周六", None)):
        household = Household(community_id=community_id, grid_id=street.org.grid.id, building="5号楼", unit="",
                              name=name, phone=None, volunteer_id=volunteer_id)
        session.add(household)
        households.append(household)
    await session.commit()
    ids = [await open_in_hall(client, street, household_id=h.id, urgency=k % 3) for k, h in enumerate(households)]
    pending = (await order(client, street, description="待审核的"))["id"]
    rated = ids[0]
    async with db.session_scope() as s:
        # Times with and without microseconds, a request waiting for dispatch, a served and rated one.
        await s.execute(update(ServiceRequest).where(ServiceRequest.id == ids[1])
                        .values(created_at=dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)))
        await s.execute(update(ServiceRequest).where(ServiceRequest.id == ids[2])
                        .values(status=RequestStatus.AWAITING_DISPATCH))
        await s.execute(update(ServiceRequest).where(ServiceRequest.id == rated).values(
            status=RequestStatus.COMPLETED, volunteer_id=street.second.volunteer.id,
            accepted_at=dt.datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=dt.UTC),
            started_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC),
            finished_at=dt.datetime(2026, 11, 2, 11, 0, 0, 500000, tzinfo=dt.UTC), posted_minutes=60, posted_points=60))
        s.add(RequestRating(request_id=rated, volunteer_id=street.second.volunteer.id, stars=2, tags=["迟到"],
                            comment="来晚了", rated_by_user_id=street.resident.user.id, review_open=True))
    organiser = await principal_of(db, street.organiser.user.id)
    queue_url = f"/api/communities/{community_id}/request-queue"
    for params in ({}, {"limit": 2, "offset": 1}, {"status": ["completed", "open"]}, {"status": ["pending_review"]}):
        r = await client.get(queue_url, params=params, headers=street.organiser.headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), r.text
        assert r.json() == await _general(db, views.queue, principal=organiser, community_id=community_id,
                                          statuses=params.get("status"), limit=params.get("limit", 50),
                                          offset=params.get("offset", 0)), params
    seen = r.json()
    assert [row["id"] for row in seen] == [pending]
    # Volunteers: masked names except their own household's; a staff member who volunteers sees every contact.
    grid_worker_volunteer = await make_person(session, Role.VOLUNTEER, community=street.org.community)
    for person in (street.helper, street.second, grid_worker_volunteer):
        principal = await principal_of(db, person.user.id)
        for params in ({}, {"limit": 3, "offset": 2}):
            r = await client.get("/api/requests/hall", params=params, headers=person.headers)
            assert r.status_code == 200, r.text
            assert r.json() == await _general(db, views.hall, principal=principal, limit=params.get("limit", 50),
                                              offset=params.get("offset", 0)), (person, params)
    hall = {row["household_id"]: row for row in
            (await client.get("/api/requests/hall", headers=street.helper.headers)).json()}
    assert hall[households[4].id]["resident"] == "钱阿姨" and hall[households[4].id]["address"]
    assert hall[households[3].id]["resident"] == "欧**娜" and hall[households[3].id]["address"] is None
    assert hall[households[1].id]["resident"] == "李" and households[2].id not in hall  # waits for dispatch
    assert hall[households[5].id]["resident"] == "周*"
    waiting = (await client.get(queue_url, params={"status": ["awaiting_dispatch"]}, headers=street.organiser.headers))
    assert [(row["resident"], row["address"]) for row in waiting.json()] == [("王五", "第一网格 5号楼")]
    assert (await client.get("/api/requests/hall", headers=street.organiser.headers)).status_code == 403
