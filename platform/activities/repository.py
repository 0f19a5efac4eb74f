"""Queries of the activities domain."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity, ActivityKind, ActivityProposal, ActivitySeries, Signup, SignupStatus
from servicebank.kernel import direct


async def get_activity(session: AsyncSession, activity_id: int) -> Activity | None:
    """The activity, or None."""
    return await session.get(Activity, activity_id)


async def lock_activity(session: AsyncSession, activity_id: int) -> Activity | None:
    """The activity, locked FOR UPDATE on PostgreSQL (SQLite transactions are already serialised)."""
    query = select(Activity).where(Activity.id == activity_id).with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def lock_series(session: AsyncSession, series_id: int) -> ActivitySeries | None:
    """The series, locked for update."""
    query = select(ActivitySeries).where(ActivitySeries.id == series_id).with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def series_by_ids(session: AsyncSession, series_ids: Sequence[int]) -> list[ActivitySeries]:
    """The series with these ids (any status)."""
    if not series_ids:
        return []
    return list((await session.scalars(select(ActivitySeries).where(ActivitySeries.id.in_(series_ids)))).all())


async def get_proposal(session: AsyncSession, activity_id: int) -> ActivityProposal | None:
    """The proposal of an activity, or None."""
    return await session.scalar(select(ActivityProposal).where(ActivityProposal.activity_id == activity_id))


async def get_signup(session: AsyncSession, *, activity_id: int, volunteer_id: int) -> Signup | None:
    """The volunteer's signup for the activity (any status), or None."""
    return await session.scalar(
        select(Signup).where(Signup.activity_id == activity_id, Signup.volunteer_id == volunteer_id)
        .execution_options(populate_existing=True)
    )


async def count_confirmed(session: AsyncSession, activity_id: int) -> int:
    """Confirmed places taken."""
    return int(await session.scalar(
        select(func.count(Signup.id)).where(Signup.activity_id == activity_id,
                                             Signup.status == SignupStatus.CONFIRMED)
    ) or 0)


async def last_waitlist_position(session: AsyncSession, activity_id: int) -> int:
    """The position of the last person waiting, 0 when nobody is."""
    return int(await session.scalar(
        select(func.max(Signup.position)).where(Signup.activity_id == activity_id,
                                                Signup.status == SignupStatus.WAITLISTED)
    ) or 0)


async def waitlist(session: AsyncSession, activity_id: int, *, limit: int | None = None) -> list[Signup]:
    """People waiting, first in line first."""
    query = (select(Signup).where(Signup.activity_id == activity_id, Signup.status == SignupStatus.WAITLISTED)
             .order_by(Signup.position, Signup.id).execution_options(populate_existing=True))
    if limit is not None:
        query = query.limit(limit)
    return list((await session.scalars(query)).all())


async def signups_of(session: AsyncSession, activity_id: int, *, statuses: Sequence[str] | None = None) -> list[Signup]:
    """Signups of an activity: confirmed first, then the waitlist in order."""
    query = select(Signup).where(Signup.activity_id == activity_id)
    if statuses:
        query = query.where(Signup.status.in_(list(statuses)))
    query = query.order_by(Signup.status != SignupStatus.CONFIRMED, Signup.position, Signup.id)
    return list((await session.scalars(query.execution_options(populate_existing=True))).all())


async def signup_counts(session: AsyncSession, activity_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """activity id -> (confirmed, waitlisted)."""
    if not activity_ids:
        return {}
    rows = await session.execute(
        select(Signup.activity_id, Signup.status, func.count(Signup.id))
        .where(Signup.activity_id.in_(list(activity_ids)), Signup.status.in_(SignupStatus.ACTIVE))
        .group_by(Signup.activity_id, Signup.status)
    )
    counts: dict[int, list[int]] = {}
    for activity_id, status, n in rows.all():
        slot = counts.setdefault(activity_id, [0, 0])
        slot[0 if status == SignupStatus.CONFIRMED else 1] = int(n)
    return {k: (v[0], v[1]) for k, v in counts.items()}


def activity_query(*, community_ids: Sequence[int] | None, kind: str | None = None, status: Sequence[str] | None = None,
                   starts_from: dt.datetime | None = None, starts_to: dt.datetime | None = None,
                   series_id: int | None = None) -> Select[tuple[Activity]]:
    """Activities matching the filters, by start time (community_ids None: every community)."""
    query = select(Activity)
    if community_ids is not None:
        query = query.where(Activity.community_id.in_(list(community_ids)))
    if kind:
        query = query.where(Activity.kind == kind)
    if status:
        query = query.where(Activity.status.in_(list(status)))
    if starts_from is not None:
        query = query.where(Activity.ends_at >= starts_from)
    if starts_to is not None:
        query = query.where(Activity.starts_at < starts_to)
    if series_id is not None:
        query = query.where(Activity.series_id == series_id)
    return query.order_by(Activity.starts_at, Activity.id)


async def my_signups(session: AsyncSession, *, volunteer_id: int, since: dt.datetime | None,
                     limit: int) -> list[tuple[Signup, Activity]]:
    """A volunteer's signups with their activities, soonest first."""
    query = (select(Signup, Activity).join(Activity, Activity.id == Signup.activity_id)
             .where(Signup.volunteer_id == volunteer_id))
    if since is not None:
        query = query.where(Activity.ends_at >= since)
    rows = await session.execute(query.order_by(Activity.starts_at, Activity.id).limit(limit))
    return [(s, a) for s, a in rows.all()]


async def public_upcoming(session: AsyncSession, *, community_id: int, statuses: Sequence[str], now: dt.datetime,
                          until: dt.datetime | None, limit: int) -> list[Activity]:
    """Activities of the community in these statuses that have not ended (and start before `until`), soonest
    first, team-only ones left out. team_ids is JSON, so it is filtered here, not in SQL (hence 3 × limit read)."""
    query = (select(Activity).where(Activity.community_id == community_id, Activity.status.in_(statuses),
                                    Activity.ends_at > now)
             .order_by(Activity.starts_at).limit(limit * 3))
    if until is not None:
        query = query.where(Activity.starts_at < until)
    return [a for a in (await session.scalars(query)).all() if not a.team_ids][:limit]


async def kind_names(session: AsyncSession) -> dict[str, str]:
    """Kind code -> name (a community's own kind names share the built-in codes' space)."""
    rows = (await session.execute(select(ActivityKind.code, ActivityKind.name))).all()
    return {code: name for code, name in rows}


# The dashboard's reads (every view of /manage/) are built once and sent through kernel/direct.py, as plain rows:
# loading Activity objects and SQLAlchemy's per-statement work were most of the page's CPU (bench/reads_notes.md).


@dataclasses.dataclass(frozen=True)
class ActivityLine:
    """What a list of activities on the dashboard shows of each."""

    id: int
    title: str
    status: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime


# ActivityLine's fields, in its order.
_LINE_COLUMNS = (Activity.id, Activity.title, Activity.status, Activity.kind, Activity.starts_at, Activity.ends_at)


def _community() -> Any:  # noqa: ANN401
    return bindparam("community_id", type_=BigInteger)


def _moment(name: str) -> Any:  # noqa: ANN401
    return bindparam(name, type_=Activity.starts_at.type)


@cache
def _count_by_kind_statement(leave_out: tuple[str, ...]) -> Any:  # noqa: ANN401
    return (select(Activity.kind, func.count())
            .where(Activity.community_id == _community(), Activity.starts_at >= _moment("since"),
                   *(Activity.status != status for status in leave_out))
            .group_by(Activity.kind).order_by(func.count().desc(), Activity.kind))


async def count_by_kind(session: AsyncSession, *, community_id: int, since: dt.datetime,
                        leave_out: Sequence[str]) -> list[tuple[str, int]]:
    """How many of the community's activities of each kind started since `since`, most first."""
    rows = await direct.read(session, _count_by_kind_statement(tuple(leave_out)),
                             {"community_id": community_id, "since": since})
    return [(kind, int(n)) for kind, n in rows]


def _lines(rows: Sequence[tuple[Any, ...]]) -> list[ActivityLine]:
    return [ActivityLine(*row) for row in rows]


@cache
def _ending_after_statement() -> Any:  # noqa: ANN401
    return (select(*_LINE_COLUMNS)
            .where(Activity.community_id == _community(), Activity.ends_at >= _moment("since"))
            .order_by(Activity.starts_at).limit(bindparam("limit", type_=Integer)))


async def ending_after(session: AsyncSession, *, community_id: int, since: dt.datetime,
                       limit: int) -> list[ActivityLine]:
    """The community's activities (any status) that end after `since`, soonest first."""
    return _lines(await direct.read(session, _ending_after_statement(),
                                    {"community_id": community_id, "since": since, "limit": limit}))


@cache
def _in_status_statement() -> Any:  # noqa: ANN401
    return (select(*_LINE_COLUMNS)
            .where(Activity.community_id == _community(), Activity.status == bindparam("status", type_=String))
            .order_by(Activity.starts_at, Activity.id).limit(bindparam("limit", type_=Integer)))


async def in_status(session: AsyncSession, *, community_id: int, status: str, limit: int) -> list[ActivityLine]:
    """The community's activities in one status, by start time (the dashboard's proposals awaiting the street)."""
    return _lines(await direct.read(session, _in_status_statement(),
                                    {"community_id": community_id, "status": status, "limit": limit}))


async def kind_names_of(session: AsyncSession, community_ids: list[int]) -> dict[str, str]:
    """Kind code -> name for these communities: the built-in kinds, then their own (their name for a code wins)."""
    rows = await direct.read(session, _kind_names_statement(direct.sends_direct(session)),
                             {"communities": community_ids})
    return {code: name for code, name in rows}


@cache
def _kind_names_statement(array: bool) -> Any:  # noqa: ANN401
    # Built-in kinds first, so a community's own name for one wins in the dict.
    return (select(ActivityKind.code, ActivityKind.name)
            .where(ActivityKind.community_id.is_(None)
                   | direct.among_ids(ActivityKind.community_id, "communities", array=array))
            .order_by(ActivityKind.community_id.is_(None).desc()))


async def series_of_community(session: AsyncSession, community_id: int) -> list[ActivitySeries]:
    """The community's repeating activities, oldest first."""
    return list((await session.scalars(select(ActivitySeries).where(ActivitySeries.community_id == community_id)
                                       .order_by(ActivitySeries.id))).all())


async def upcoming_of_series(session: AsyncSession, *, series_id: int, now: dt.datetime, limit: int) -> list[Activity]:
    """The series' dates that have not ended, soonest first."""
    return list((await session.scalars(
        select(Activity).where(Activity.series_id == series_id, Activity.ends_at > now)
        .order_by(Activity.starts_at).limit(limit))).all())
