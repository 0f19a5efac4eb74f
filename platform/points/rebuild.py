"""Recreate the kept totals and the leaderboards from the ledger's service credits."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import case, delete, func, insert, literal, select, text, update

from servicebank.db import Database
from servicebank.points.lb_push import BUILT_MARKER, KEY_PREFIX, VERSION_PREFIX, member_for, scopes_of, sync_client
from servicebank.points.levels import ALL_TIME, STAR_THRESHOLDS_MINUTES
from servicebank.points.models import PeriodTotal, ServiceCredit, VolunteerStanding

Advance = Callable[[int], None]


def period_expressions(dialect: str) -> list[Any]:
    """SQL for the month and year of a credit's service date, and the all-time period."""
    if dialect == "postgresql":
        return [func.to_char(ServiceCredit.service_date, "YYYY-MM"), func.to_char(ServiceCredit.service_date, "YYYY"),
                literal(ALL_TIME)]
    return [func.strftime("%Y-%m", ServiceCredit.service_date), func.strftime("%Y", ServiceCredit.service_date),
            literal(ALL_TIME)]


def aggregate(expr: Any) -> Any:
    """Service minutes and points per (volunteer, period) for one period expression."""
    return (select(ServiceCredit.volunteer_id, expr.label("period"), func.sum(ServiceCredit.minutes),
                   func.sum(ServiceCredit.points))
            .group_by(ServiceCredit.volunteer_id, expr))


async def rebuild_totals(db: Database, advance: Advance | None = None) -> dict[str, int]:
    """Recompute every period total and standing from the credits; versions move past every earlier one."""
    async with db.session_scope() as session:
        if db.dialect == "postgresql":
            # Postings wait while the totals are recomputed, so none is counted twice or lost.
            await session.execute(text("LOCK TABLE ledger_period_total, ledger_volunteer_standing IN EXCLUSIVE MODE"))
        version = int(await session.scalar(select(func.coalesce(func.max(PeriodTotal.version), 0))) or 0) + 1
        await session.execute(delete(PeriodTotal))
        # One pass over the credits for the months; years and all time are summed from the month rows.
        month = period_expressions(db.dialect)[0]
        await session.execute(insert(PeriodTotal).from_select(
            ["volunteer_id", "period", "minutes", "points", "version"], aggregate(month).add_columns(literal(version))))
        if advance:
            advance(1)
        months = select(PeriodTotal.volunteer_id, PeriodTotal.period, PeriodTotal.minutes, PeriodTotal.points).where(
            func.length(PeriodTotal.period) == 7).subquery()
        for label in (func.substr(months.c.period, 1, 4), literal(ALL_TIME)):
            await session.execute(insert(PeriodTotal).from_select(
                ["volunteer_id", "period", "minutes", "points", "version"],
                select(months.c.volunteer_id, label, func.sum(months.c.minutes), func.sum(months.c.points),
                       literal(version)).group_by(months.c.volunteer_id, label)))
            if advance:
                advance(1)
        all_time = select(PeriodTotal).where(PeriodTotal.period == ALL_TIME).subquery()
        missing = select(all_time.c.volunteer_id, literal(0), literal(0), literal(0), literal(0)).where(
            ~all_time.c.volunteer_id.in_(select(VolunteerStanding.volunteer_id)))
        await session.execute(insert(VolunteerStanding).from_select(
            ["volunteer_id", "service_minutes", "points_earned", "star_level", "highest_star_level"], missing))
        own = select(PeriodTotal).where(PeriodTotal.period == ALL_TIME,
                                        PeriodTotal.volunteer_id == VolunteerStanding.volunteer_id)
        minutes = func.coalesce(own.with_only_columns(PeriodTotal.minutes).scalar_subquery(), 0)
        level = case(*[(minutes >= t, i + 1) for i, t in reversed(list(enumerate(STAR_THRESHOLDS_MINUTES)))], else_=0)
        await session.execute(update(VolunteerStanding).values(
            service_minutes=minutes, points_earned=func.coalesce(own.with_only_columns(PeriodTotal.points)
                                                                 .scalar_subquery(), 0),
            star_level=level).execution_options(synchronize_session=False))
        rows = int(await session.scalar(select(func.count()).select_from(PeriodTotal)) or 0)
    return {"period_totals": rows, "version": version}


async def rebuild_redis(db: Database, advance: Advance | None = None, *, chunk: int = 20_000) -> int:
    """Write every leaderboard into fresh keys and swap them in; returns the members written."""
    url = db.settings.redis_url
    if not url:
        return 0
    client = sync_client(url)
    staging = f"sb:lbtmp:{uuid.uuid4().hex[:8]}:"
    written = 0
    staged: set[str] = set()
    async with db.session_scope() as session:
        ids = list((await session.scalars(select(PeriodTotal.volunteer_id).distinct())).all())
        scopes: dict[int, list[str]] = {}
        for start in range(0, len(ids), 5000):
            scopes.update(await session.run_sync(lambda s, c=ids[start:start + 5000]: scopes_of(s, c)))
        result = await session.stream(select(PeriodTotal.volunteer_id, PeriodTotal.period, PeriodTotal.minutes,
                                             PeriodTotal.points, PeriodTotal.version)
                                      .execution_options(yield_per=chunk))
        async for part in result.partitions(chunk):
            boards: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
            versions: dict[str, dict[int, int]] = defaultdict(dict)
            for vid, period, minutes, points, version in part:
                versions[period][vid] = version
                member = member_for(vid)
                for scope in scopes.get(vid, ()):
                    if minutes > 0:
                        boards[(period, scope, "hours")][member] = minutes
                    if points > 0:
                        boards[(period, scope, "points")][member] = points
            pipe = client.pipeline(transaction=False)
            for (period, scope, by), members in boards.items():
                name = f"{period}:{scope}:{by}"
                pipe.zadd(staging + name, members)
                staged.add(name)
            for period, per in versions.items():
                pipe.hset(f"{staging}v:{period}", mapping=per)
                staged.add(f"v:{period}")
            pipe.execute()
            written += len(part)
            if advance:
                advance(len(part))
    _swap(client, staging, staged)
    return written


def _swap(client: Any, staging: str, staged: set[str]) -> None:
    live = {k.decode() for k in client.scan_iter(match=f"{KEY_PREFIX}*", count=1000)}
    live |= {k.decode() for k in client.scan_iter(match=f"{VERSION_PREFIX}*", count=1000)}
    pipe = client.pipeline(transaction=True)
    targets = set()
    for name in staged:
        target = VERSION_PREFIX + name[2:] if name.startswith("v:") else KEY_PREFIX + name
        pipe.rename(staging + name, target)
        targets.add(target)
    for stale in live - targets - {BUILT_MARKER}:
        pipe.delete(stale)
    pipe.set(BUILT_MARKER, "1")
    pipe.delete("sb:lb:rebuild_requested")
    pipe.execute()


async def rebuild_leaderboards(db: Database, advance: Advance | None = None) -> dict[str, int]:
    """Totals first, then Redis (when configured) from those totals."""
    summary = await rebuild_totals(db, advance)
    summary["redis_members"] = await rebuild_redis(db, advance)
    return summary
