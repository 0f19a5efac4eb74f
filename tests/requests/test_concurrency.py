"""Real concurrency on PostgreSQL: of many volunteers accepting at once exactly one wins; services paid from one
account at once never take it below zero."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, update

from servicebank.accounts.models import Role
from servicebank.kernel.clock import utcnow
from servicebank.ledger.models import Account, AccountKind
from servicebank.ledger.verify import verify
from servicebank.requests import dispatch, serving
from servicebank.requests.models import RequestStatus, ServiceRequest
from tests.factories import make_person
from tests.requests.support import accept_all_at_once, make_street, open_in_hall, principal_of
from tests.stores.support import credit

VOLUNTEERS = 12


@pytest.mark.postgres_only
async def test_many_accepting_at_once_exactly_one_wins(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id = await open_in_hall(client, street)
    people = [await make_person(session, Role.VOLUNTEER, community=street.org.community) for _ in range(VOLUNTEERS)]
    principals = [await principal_of(db, p.user.id) for p in people]
    outcomes = await accept_all_at_once(db, principals, request_id)
    assert outcomes.count("ok") == 1 and set(outcomes) == {"ok", "request_already_taken"}
    async with db.session_scope() as s:
        row = await s.get(ServiceRequest, request_id)
        winner = principals[outcomes.index("ok")].volunteer_id
        assert row.status == RequestStatus.ACCEPTED and row.volunteer_id == winner


@pytest.mark.postgres_only
async def test_payments_racing_for_one_balance_never_take_it_below_zero(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    resident_id = street.resident.volunteer.id
    await credit(session, volunteer_id=resident_id, community_id=street.org.community.id, points=150)
    ids = [await open_in_hall(client, street, payer="self") for _ in range(4)]
    helpers = [street.helper, street.second] + [await make_person(session, Role.VOLUNTEER,
                                                                  community=street.org.community) for _ in range(2)]
    principals = [await principal_of(db, h.user.id) for h in helpers]
    async with db.session_scope() as s:
        for request_id, p in zip(ids, principals, strict=True):
            await dispatch.accept(s, principal=p, request_id=request_id)
            await serving.start(s, principal=p, request_id=request_id)
        # Each served an hour: 60 points each, 240 wanted from a balance of 150.
        await s.execute(update(ServiceRequest).where(ServiceRequest.id.in_(ids))
                        .values(started_at=utcnow() - dt.timedelta(minutes=60)))

    async def finish(request_id: int, principal) -> None:  # noqa: ANN001
        async with db.session_scope() as s:
            await serving.finish(s, principal=principal, request_id=request_id)

    await asyncio.gather(*(finish(i, p) for i, p in zip(ids, principals, strict=True)))
    async with db.session_scope() as s:
        balance = await s.scalar(select(Account.balance).where(Account.kind == AccountKind.VOLUNTEER,
                                                               Account.owner_id == resident_id))
        paid = sorted((await s.scalars(select(ServiceRequest.paid_by_payer).where(ServiceRequest.id.in_(ids)))).all())
        points = (await s.scalars(select(ServiceRequest.posted_points).where(ServiceRequest.id.in_(ids)))).all()
    assert balance == 0 and sum(paid) == 150 and paid == [0, 30, 60, 60]
    assert list(points) == [60] * 4  # every volunteer earned the full hour; the community covered the rest
    report = await verify(db)
    assert not report.differs, report.as_dict()
