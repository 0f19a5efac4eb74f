"""The per-community period totals the dashboard reads: always the sum of the community's volunteers' totals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from servicebank.checkins.models import AttendanceStatus
from servicebank.kernel.db import Database
from servicebank.ledger import transactions as ledger
from servicebank.ledger.accounts import community_account, volunteer_account
from servicebank.ledger.community_totals import rebuild_community_totals
from servicebank.ledger.models import CommunityPeriodTotal, PeriodTotal
from servicebank.ledger.verify import verify
from servicebank.volunteers.models import Volunteer
from servicebank.web.pages.activities import manage as dashboard_page
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import attend, decide, make_activity, settle

OCTOBER = dt.datetime(2026, 10, 5, 1, tzinfo=dt.UTC)


async def _kept(db: Database) -> dict[tuple[int, str], tuple[int, int, int]]:
    async with db.session_scope() as s:
        rows = await s.execute(select(CommunityPeriodTotal.community_id, CommunityPeriodTotal.period,
                                      CommunityPeriodTotal.minutes, CommunityPeriodTotal.points,
                                      CommunityPeriodTotal.volunteers))
        return {(c, p): (m, pts, n) for c, p, m, pts, n in rows.all() if (m, pts, n) != (0, 0, 0)}


async def _summed(db: Database) -> dict[tuple[int, str], tuple[int, int, int]]:
    """The same figures added up from the volunteers' period totals, as the dashboard used to on every request."""
    async with db.session_scope() as s:
        rows = await s.execute(
            select(Volunteer.community_id, PeriodTotal.period, func.sum(PeriodTotal.minutes),
                   func.sum(PeriodTotal.points), func.count().filter(PeriodTotal.minutes > 0))
            .join(Volunteer, Volunteer.id == PeriodTotal.volunteer_id)
            .group_by(Volunteer.community_id, PeriodTotal.period))
        return {(c, p): (int(m), int(pts), int(n)) for c, p, m, pts, n in rows.all() if (m, pts, n) != (0, 0, 0)}


async def test_postings_adjustments_and_reversals_keep_the_sums(db: Database, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    a, b = [await make_volunteer(session, org.community) for _ in range(2)]
    c = await make_volunteer(session, org.other)
    november = await make_activity(session, org.community)
    october = await make_activity(session, org.community, starts_at=OCTOBER)
    elsewhere = await make_activity(session, org.other)
    att_a = await attend(session, november, a, minutes=60)
    att_b = await attend(session, november, b, minutes=120)
    await attend(session, october, a, minutes=90, service_date=dt.date(2026, 10, 5))
    att_c = await attend(session, elsewhere, c, minutes=30)
    await settle(db)
    home = org.community.id
    assert (await _kept(db))[(home, "2026-11")] == (180, 180, 2)
    assert (await _kept(db))[(home, "2026-10")] == (90, 90, 1)
    assert (await _kept(db))[(home, "all")] == (270, 270, 2)

    # An adjustment moves minutes only; a decline takes the volunteer out of the month's active count.
    await decide(session, att_b, status=AttendanceStatus.APPROVED, minutes=45, event="attendance.adjusted")
    await decide(session, att_a, status=AttendanceStatus.DECLINED, event="attendance.declined")
    await decide(session, att_c, status=AttendanceStatus.DECLINED, event="attendance.declined")
    await settle(db)
    kept = await _kept(db)
    assert kept[(home, "2026-11")] == (45, 45, 1)
    assert kept[(home, "2026")] == (135, 135, 2)
    assert (org.other.id, "2026-11") not in kept  # back to nothing

    # A manual service posting and its reversal (not attendance-based) move the sums the same way.
    async with db.session_scope() as s:
        source = await community_account(s, home)
        target = await volunteer_account(s, c.id)
        txn = await ledger.post_transaction(s, source_key="manual:1", kind="manual_service",
                                            entries=[(source.id, -20), (target.id, 20)],
                                            service_minutes={c.id: 20}, service_date=dt.date(2026, 11, 9))
    assert (await _kept(db))[(org.other.id, "2026-11")] == (20, 20, 1)
    async with db.session_scope() as s:
        await ledger.reverse(s, transaction_id=txn.id, source_key="manual:1:reversal")
    assert (org.other.id, "2026-11") not in await _kept(db)

    assert await _kept(db) == await _summed(db)
    report = await verify(db)
    assert report.ok, report.as_dict()


async def test_verify_finds_a_wrong_sum_and_the_rebuild_repairs_it(db: Database, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    vol = await make_volunteer(session, org.community)
    activity = await make_activity(session, org.community)
    await attend(session, activity, vol, minutes=60)
    await settle(db)
    async with db.session_scope() as s:
        await s.execute(update(CommunityPeriodTotal).where(CommunityPeriodTotal.period == "2026-11")
                        .values(volunteers=CommunityPeriodTotal.volunteers + 1))
    report = await verify(db)
    assert report.checks["community_totals"] == 1
    assert report.problems[0]["kept"] == [60, 60, 2] and report.problems[0]["derived"] == [60, 60, 1]

    assert await rebuild_community_totals(db) == 3  # month, year, all time
    report = await verify(db)
    assert report.ok, report.as_dict()


async def test_dashboard_figures_are_the_months_sums(db: Database, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    a, b = [await make_volunteer(session, org.community) for _ in range(2)]
    await attend(session, await make_activity(session, org.community), a, minutes=60)
    await attend(session, await make_activity(session, org.community, starts_at=OCTOBER), b, minutes=150,
                 service_date=dt.date(2026, 10, 5))
    await settle(db)
    async with db.session_scope() as s:
        minutes, active, chart = await dashboard_page.dashboard_figures(
            s, community_id=org.community.id, months=["2026-09", "2026-10", "2026-11"])
    assert (minutes, active) == (60, 1)
    assert chart == [("09", 0.0), ("10", 2.5), ("11", 1.0)]
