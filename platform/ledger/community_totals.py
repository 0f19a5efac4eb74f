"""Per-community period totals: kept in step by the postings, rebuilt and re-derived from the ledger.

A community's figures for a period are the sums over its volunteers' period totals (the volunteer's
community today: volunteers never change community). The dashboard used to add those up per request,
about 2,500 volunteers x 6 months on a city's data; now it reads six rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, String, bindparam, case, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel import direct
from servicebank.kernel.bulk import insert_rows
from servicebank.kernel.db import Database, among, table_of
from servicebank.kernel.dialect import is_postgres
from servicebank.ledger.models import CommunityPeriodTotal, PeriodTotal
from servicebank.volunteers.models import Volunteer

# (volunteer_id, period, minutes before, minutes after, points moved)
Change = tuple[int, str, int, int, int]
Figures = tuple[int, int, int]  # minutes, points, volunteers with minutes above zero


async def communities_of(session: AsyncSession, volunteer_ids: Iterable[int]) -> dict[int, int]:
    """The community of each volunteer."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Volunteer.id, Volunteer.community_id)
                                 .where(among(session, Volunteer.id, ids)))
    return {vid: cid for vid, cid in rows.all()}


async def apply_changes(session: AsyncSession, changes: Sequence[Change]) -> None:
    """Move the community totals by what these period-total changes moved (same transaction as the posting)."""
    communities = await communities_of(session, (c[0] for c in changes))
    moved: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for volunteer_id, period, before, after, points in changes:
        community_id = communities.get(volunteer_id)
        if community_id is None:  # credits may name volunteers the ledger does not know (bulk corrections)
            continue
        figures = moved[(community_id, period)]
        figures[0] += after - before
        figures[1] += points
        figures[2] += (after > 0) - (before > 0)
    # Sorted: concurrent batches lock the rows in the same order, after the volunteers' totals (no deadlocks).
    params = [{"community_id": c, "period": p, "minutes": m, "points": pts, "volunteers": n}
              for (c, p), (m, pts, n) in sorted(moved.items()) if (m, pts, n) != (0, 0, 0)]
    if not params:
        return
    table = table_of(CommunityPeriodTotal)
    stmt, rows = insert_rows(session, CommunityPeriodTotal, params)
    stmt = stmt.on_conflict_do_update(index_elements=["community_id", "period"], set_={
        "minutes": table.c.minutes + stmt.excluded.minutes, "points": table.c.points + stmt.excluded.points,
        "volunteers": table.c.volunteers + stmt.excluded.volunteers})
    await session.execute(stmt, rows)


def from_period_totals():  # noqa: ANN201
    """(community_id, period, minutes, points, volunteers) summed from the kept period totals."""
    return (select(Volunteer.community_id, PeriodTotal.period, func.sum(PeriodTotal.minutes),
                   func.sum(PeriodTotal.points), func.sum(case((PeriodTotal.minutes > 0, 1), else_=0)))
            .join(Volunteer, Volunteer.id == PeriodTotal.volunteer_id)
            .group_by(Volunteer.community_id, PeriodTotal.period))


async def rebuild_community_totals(db: Database) -> int:
    """Recompute every community total from the period totals (after those were bulk loaded)."""
    async with db.session_scope() as session:
        if is_postgres(db):
            # Postings wait meanwhile, so none is counted twice or lost.
            await session.execute(text("LOCK TABLE ledger_period_total, ledger_community_period_total "
                                       "IN EXCLUSIVE MODE"))
        return await replace_all(session)


async def replace_all(session: AsyncSession) -> int:
    """Replace the community totals with sums of the period totals; the caller holds the locks."""
    await session.execute(delete(CommunityPeriodTotal))
    await session.execute(insert(CommunityPeriodTotal).from_select(
        ["community_id", "period", "minutes", "points", "volunteers"], from_period_totals()))
    return int(await session.scalar(select(func.count()).select_from(CommunityPeriodTotal)) or 0)


def derive(period_totals: dict[tuple[int, str], tuple[int, int]],
           communities: dict[int, int]) -> dict[tuple[int, str], Figures]:
    """What the community totals must be, given every volunteer's (minutes, points) per period."""
    derived: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (volunteer_id, period), (minutes, points) in period_totals.items():
        community_id = communities.get(volunteer_id)
        if community_id is None:
            continue
        figures = derived[(community_id, period)]
        figures[0] += minutes
        figures[1] += points
        figures[2] += 1 if minutes > 0 else 0
    return {key: (m, p, n) for key, (m, p, n) in derived.items()}


async def kept(session: AsyncSession) -> dict[tuple[int, str], Figures]:
    rows = await session.execute(select(CommunityPeriodTotal.community_id, CommunityPeriodTotal.period,
                                        CommunityPeriodTotal.minutes, CommunityPeriodTotal.points,
                                        CommunityPeriodTotal.volunteers))
    return {(c, p): (m, pts, n) for c, p, m, pts, n in rows.all()}


async def for_community(session: AsyncSession, community_id: int, periods: Sequence[str]) -> dict[str, Figures]:
    """The community's (minutes, points, volunteers) for these periods; periods without service are left out.
    Sent through kernel/direct.py: the dashboard reads it on every view."""
    rows = await direct.read(session, _for_community_statement(direct.sends_direct(session)),
                             {"community_id": community_id, "periods": list(periods)})
    return {p: (m, pts, n) for p, m, pts, n in rows}


@cache
def _for_community_statement(array: bool) -> Any:  # noqa: ANN401
    return (select(CommunityPeriodTotal.period, CommunityPeriodTotal.minutes, CommunityPeriodTotal.points,
                   CommunityPeriodTotal.volunteers)
            .where(CommunityPeriodTotal.community_id == bindparam("community_id", type_=BigInteger),
                   direct.among_ids(CommunityPeriodTotal.period, "periods", array=array, item=String)))


async def for_communities(session: AsyncSession, community_ids: Sequence[int], period: str) -> dict[int, Figures]:
    """Each community's (minutes, points, volunteers) for one period, in one query (the administrators' overview);
    communities without service then are left out."""
    if not community_ids:
        return {}
    rows = await session.execute(
        select(CommunityPeriodTotal.community_id, CommunityPeriodTotal.minutes, CommunityPeriodTotal.points,
               CommunityPeriodTotal.volunteers)
        .where(among(session, CommunityPeriodTotal.community_id, sorted(set(community_ids))),
               CommunityPeriodTotal.period == period))
    return {c: (m, pts, n) for c, m, pts, n in rows.all()}
