"""The demo has requests in every stage, made by the domain's service functions, and the ledger verifies."""

from __future__ import annotations

from sqlalchemy import select

from servicebank.demo import seed_demo
from servicebank.kernel import events
from servicebank.ledger.verify import verify
from servicebank.requests.models import RequestRating, ServiceRequest


async def test_demo_has_open_assigned_and_rated_requests(db) -> None:  # noqa: ANN001
    async with db.session_scope() as s:
        assert await seed_demo(s) is not None
    await events.drain(db)
    async with db.session_scope() as s:
        statuses = sorted((await s.scalars(select(ServiceRequest.status))).all())
        rating = await s.scalar(select(RequestRating))
        rated = await s.scalar(select(ServiceRequest).where(ServiceRequest.status == "completed"))
    assert statuses == ["accepted", "completed", "open", "pending_review"]
    assert rating.stars == 5 and rated.posted_minutes == 45 and rated.transaction_id is not None
    report = await verify(db)
    assert report.checks["request_postings"] == 0 and report.checks["earned_points"] == 0, report.as_dict()
