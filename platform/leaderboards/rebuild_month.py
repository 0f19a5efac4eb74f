"""`servicebank leaderboards rebuild --month YYYY-MM`: one service month's kept totals, recomputed alone.

The month's period totals are the credits whose service date falls in it (in whichever month they were posted:
a late claim for March posted in December counts for March) plus what detached years carried for it. The
volunteers whose month row changes get their year and all-time rows and their standing summed again from their
month rows, and their communities' totals for the three periods are summed again: every other month's rows stay
as they are. Redis gets the new figures pushed after the commit. `ledger verify` derives the same figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel import partitions
from servicebank.kernel.db import Database, among
from servicebank.kernel.dialect import is_postgres
from servicebank.leaderboards.push import push_args, run_push, scopes_of, sync_client
from servicebank.leaderboards.rebuild import aggregate, period_expressions
from servicebank.leaderboards.totals import refresh_standings, roll_up
from servicebank.ledger import carry, community_totals
from servicebank.ledger.levels import ALL_TIME
from servicebank.ledger.models import CommunityPeriodTotal, PeriodTotal, ServiceCredit

# A credit is posted after the service it counts: never earlier than this before the UTC start of its service
# month (service dates are local dates, at most 14 hours ahead of UTC; two days leave room for a clock).
POSTED_BEFORE_SERVICE = dt.timedelta(days=2)


def month_credits(month: str, dialect: str) -> Any:
    """(volunteer_id, period, minutes, points) of the credits for service in `month`, with what detached years
    carried for it.

    Only the month partitions posted since the month began are read (the bound on `created_at`): a province
    keeps years of them. The full `ledger verify` sums every credit, so a credit posted earlier would show.
    """
    start, end = partitions.month_bounds(month)
    lines = aggregate(period_expressions(dialect)[0]).where(ServiceCredit.service_date >= start.date(),
                                                            ServiceCredit.service_date < end.date(),
                                                            ServiceCredit.created_at >= start - POSTED_BEFORE_SERVICE)
    return carry.with_carried(lines, period=month)


async def rebuild_month(db: Database, month: str) -> dict[str, Any]:
    """Recompute one month's totals (and what sums them) from its credits; push the changes to Redis."""
    async with db.session_scope() as session:
        summary = await rebuild_month_totals(session, month, db.dialect)
    if db.settings.redis_url and summary["volunteers"]:
        async with db.session_scope() as session:
            args = await _push_of(session, summary.pop("pairs"))
        run_push(sync_client(db.settings.redis_url), args)
    summary.pop("pairs", None)
    return summary


async def rebuild_month_totals(session: AsyncSession, month: str, dialect: str) -> dict[str, Any]:
    if is_postgres(session):
        # Postings wait meanwhile, so none is counted twice or lost (as in the whole rebuild).
        await session.execute(text("LOCK TABLE ledger_period_total, ledger_volunteer_standing, "
                                   "ledger_community_period_total IN EXCLUSIVE MODE"))
    year = month[:4]
    version = int(await session.scalar(select(func.coalesce(func.max(PeriodTotal.version), 0))) or 0) + 1
    before = dict((vid, (m, p)) for vid, m, p in (await session.execute(
        select(PeriodTotal.volunteer_id, PeriodTotal.minutes, PeriodTotal.points)
        .where(PeriodTotal.period == month))).all())
    derived = {vid: (int(m), int(p)) for vid, _, m, p in (await session.execute(month_credits(month, dialect))).all()}
    changed = sorted(vid for vid in set(before) | set(derived) if before.get(vid) != derived.get(vid))
    if changed:
        await _replace_rows(session, month, derived, changed, version)
    # Every community's figures for the three periods, from the rows as they are now: a community total of the
    # month that drifted is set right even where no volunteer's row changed.
    periods = (month, year, ALL_TIME)
    await session.execute(delete(CommunityPeriodTotal).where(CommunityPeriodTotal.period.in_(periods)))
    await session.execute(insert(CommunityPeriodTotal).from_select(
        ["community_id", "period", "minutes", "points", "volunteers"],
        community_totals.from_period_totals().where(PeriodTotal.period.in_(periods))))
    return {"month": month, "volunteers": len(changed), "version": version,
            "pairs": {(vid, period) for vid in changed for period in periods}}


async def _replace_rows(session: AsyncSession, month: str, derived: dict[int, tuple[int, int]], changed: list[int],
                        version: int) -> None:
    """The changed volunteers' month rows, then their year and all-time rows and standings summed again."""
    year = month[:4]
    await session.execute(delete(PeriodTotal).where(PeriodTotal.period == month,
                                                    among(session, PeriodTotal.volunteer_id, changed)))
    rows = [{"volunteer_id": vid, "period": month, "minutes": derived[vid][0], "points": derived[vid][1],
             "version": version} for vid in changed if vid in derived]
    if rows:
        await session.execute(insert(PeriodTotal), rows)
    await session.execute(delete(PeriodTotal).where(PeriodTotal.period.in_((year, ALL_TIME)),
                                                    among(session, PeriodTotal.volunteer_id, changed)))

    def only(column: Any) -> Any:
        return among(session, column, changed)

    await roll_up(session, version, year=year, only=only)
    await refresh_standings(session, only=only)


async def _push_of(session: AsyncSession, pairs: set[tuple[int, str]]) -> list[Any]:
    """The push of these pairs' kept totals; a pair without a row any more pushes zero (off the boards)."""
    ids = sorted({vid for vid, _ in pairs})
    version = int(await session.scalar(select(func.max(PeriodTotal.version))) or 0)
    latest = {pair: (version, 0, 0) for pair in pairs}
    for start in range(0, len(ids), 1000):
        rows = await session.execute(
            select(PeriodTotal.volunteer_id, PeriodTotal.period, PeriodTotal.version, PeriodTotal.minutes,
                   PeriodTotal.points).where(among(session, PeriodTotal.volunteer_id, ids[start:start + 1000]),
                                             PeriodTotal.period.in_({p for _, p in pairs})))
        latest.update({(vid, period): (v, m, p) for vid, period, v, m, p in rows.all()})
    scopes = await session.run_sync(lambda s: scopes_of(s, ids))
    return push_args(latest, scopes)

