"""Two organisers deciding the same late claim, or the same correction, at the same moment (PostgreSQL): exactly one
posting (one reversal and one new posting)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.ledger.models import ServiceCredit, Transaction
from servicebank.ledger.verify import verify
from tests.factories import make_person
from tests.records.claim_helpers import claim_activity, iso, past_activity


@pytest.mark.postgres_only
async def test_two_organisers_approving_at_once_post_once(client, db, world, session) -> None:  # noqa: ANN001
    second = await make_person(session, Role.ORGANISER, community=world.org.community)
    activity = await past_activity(client, db, world, hours_ago=3)
    claim = (await claim_activity(client, world, activity)).json()
    responses = await asyncio.gather(*(
        client.post(f"/api/claims/{claim['id']}/approve", json={}, headers=who.headers)
        for who in (world.organiser, second, world.organiser, second)))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"claim_already_decided"}
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(Transaction.id)).where(Transaction.kind == "claim_service")) == 1
        assert await s.scalar(select(func.sum(ServiceCredit.minutes))) == 120
    report = await verify(db)
    assert not report.differs, report.as_dict()


@pytest.mark.postgres_only
async def test_two_organisers_accepting_a_correction_at_once_reverse_and_post_once(client, db, world,
                                                                                   session) -> None:  # noqa: ANN001
    second = await make_person(session, Role.ORGANISER, community=world.org.community)
    activity = await past_activity(client, db, world, hours_ago=3)
    claim = (await claim_activity(client, world, activity)).json()
    await client.post(f"/api/claims/{claim['id']}/approve", json={}, headers=world.organiser.headers)
    asked = (await client.post("/api/me/corrections", json={
        "claim_id": claim["id"], "started_at": iso(activity["starts_at"]),
        "ended_at": iso(activity["starts_at"] + dt.timedelta(hours=1)), "reason": "只服务了一小时"},
        headers=world.volunteer.headers)).json()
    responses = await asyncio.gather(*(
        client.post(f"/api/corrections/{asked['id']}/accept", json={}, headers=who.headers)
        for who in (world.organiser, second, world.organiser, second)))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    async with db.session_scope() as s:
        kinds = (await s.scalars(select(Transaction.kind).order_by(Transaction.id))).all()
        assert kinds == ["claim_service", "correction_reversal", "correction_service"]
        assert await s.scalar(select(func.sum(ServiceCredit.minutes))) == 60
    report = await verify(db)
    assert not report.differs, report.as_dict()
