"""Service time posted without a date counts on today's date in the configured time zone, not the machine's."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from servicebank.kernel.db import Database
from servicebank.ledger import transactions as ledger
from servicebank.ledger.accounts import community_account, volunteer_account
from servicebank.ledger.models import ServiceCredit
from tests.factories import make_org, make_volunteer


@pytest.mark.parametrize(("moment", "zone", "day"), [
    # 16:30 UTC is already 00:30 the next day in Shanghai.
    (dt.datetime(2026, 12, 6, 16, 30, tzinfo=dt.UTC), "Asia/Shanghai", dt.date(2026, 12, 7)),
    # 03:00 UTC is still the evening before in Los Angeles.
    (dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC), "America/Los_Angeles", dt.date(2026, 12, 5)),
])
async def test_undated_service_counts_on_the_configured_zones_day(
        db: Database, session, monkeypatch, moment: dt.datetime, zone: str, day: dt.date) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_volunteer(session, org.community)
    await session.commit()
    monkeypatch.setattr(ledger, "utcnow", lambda: moment)
    zoned = Database(db.settings.replace(timezone=zone))
    try:
        async with zoned.session_scope() as s:
            source = await community_account(s, org.community.id)
            target = await volunteer_account(s, volunteer.id)
            await ledger.post_transaction(s, source_key="manual:undated", kind="manual_service",
                                          entries=[(source.id, -30), (target.id, 30)],
                                          service_minutes={volunteer.id: 30})
        async with zoned.session_scope() as s:
            assert await s.scalar(select(ServiceCredit.service_date)
                                  .where(ServiceCredit.volunteer_id == volunteer.id)) == day
    finally:
        await zoned.dispose()
