"""The kept totals summed up from the month rows: years, all time and standings, for everybody or some volunteers.

Shared by the whole rebuild (rebuild.py) and the rebuild of one month (rebuild_month.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, case, func, insert, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from servicebank.ledger.levels import ALL_TIME, STAR_THRESHOLDS_MINUTES
from servicebank.ledger.models import PeriodTotal, VolunteerStanding

# A condition on a volunteer id column (None: every volunteer).
Only = Callable[[Any], Any] | None
COLUMNS = ["volunteer_id", "period", "minutes", "points", "version"]


def _where(only: Only, column: Any) -> Any:
    return only(column) if only is not None else true()


async def roll_up(session: AsyncSession, version: int, *, year: str | None = None, only: Only = None,
                  advance: Callable[[int], None] | None = None) -> None:
    """Insert the year rows (of `year`, or every year) and the all-time rows summed from the month rows."""
    months = (select(PeriodTotal.volunteer_id, PeriodTotal.period, PeriodTotal.minutes, PeriodTotal.points)
              .where(func.length(PeriodTotal.period) == 7, _where(only, PeriodTotal.volunteer_id)))
    of_year = months.where(PeriodTotal.period.like(f"{year}-%")) if year is not None else months
    for label, source in ((func.substr, of_year.subquery()), (None, months.subquery())):
        period = label(source.c.period, 1, 4) if label is not None else literal(ALL_TIME)
        await session.execute(insert(PeriodTotal).from_select(COLUMNS, select(
            source.c.volunteer_id, period, func.sum(source.c.minutes), func.sum(source.c.points), literal(version))
            .group_by(source.c.volunteer_id, period)))
        if advance:
            advance(1)


async def refresh_standings(session: AsyncSession, only: Only = None) -> None:
    """Each standing (made for a volunteer with an all-time total and none yet) set from the all-time total."""
    all_time = select(PeriodTotal).where(PeriodTotal.period == ALL_TIME, _where(only, PeriodTotal.volunteer_id)).subquery()
    missing = select(all_time.c.volunteer_id, literal(0), literal(0), literal(0), literal(0)).where(
        ~all_time.c.volunteer_id.in_(select(VolunteerStanding.volunteer_id)))
    await session.execute(insert(VolunteerStanding).from_select(
        ["volunteer_id", "service_minutes", "points_earned", "star_level", "highest_star_level"], missing))
    # Every standing joined once to its all-time total (none: zero). Correlated subqueries ran once
    # per column and once more per star threshold of the CASE, for every volunteer.
    standing = aliased(VolunteerStanding)
    own = (select(standing.volunteer_id, func.coalesce(PeriodTotal.minutes, 0).label("minutes"),
                  func.coalesce(PeriodTotal.points, 0).label("points"))
           .outerjoin(PeriodTotal, and_(PeriodTotal.volunteer_id == standing.volunteer_id,
                                        PeriodTotal.period == ALL_TIME))
           .where(_where(only, standing.volunteer_id)).subquery())
    level = case(*[(own.c.minutes >= t, i + 1) for i, t in reversed(list(enumerate(STAR_THRESHOLDS_MINUTES)))],
                 else_=0)
    await session.execute(update(VolunteerStanding).where(VolunteerStanding.volunteer_id == own.c.volunteer_id)
                          .values(service_minutes=own.c.minutes, points_earned=own.c.points, star_level=level)
                          .execution_options(synchronize_session=False))
