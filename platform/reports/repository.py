"""The 台账's queries: one pass over a period's approved attendance, and the registers' counts.

Statements are built once with bound parameters and sent through kernel/direct.py: on PostgreSQL straight to
asyncpg, past SQLAlchemy's per-statement work, which cost the API more CPU than the queries cost the database
(bench/reads_notes.md); on SQLite through the session as before. A period's approved attendance is read once
into a CTE (PostgreSQL materialises a CTE used more than once) and every figure is aggregated from it; the
activities are looked up by id, never joined as a whole table, so the cost follows the scope's attendance and
not the size of the city.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    bindparam,
    cast,
    distinct,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.kernel import direct
from servicebank.ledger.models import AttendancePosting
from servicebank.org.models import Community, Street
from servicebank.records import service_rows
from servicebank.reports.insured import insured_count
from servicebank.reports.periods import Period
from servicebank.volunteers.models import Team, Volunteer, VolunteerStatus

# The 台账's kind for late claims of a service elsewhere (no activity of ours): the hours rule kind they post under.
ELSEWHERE_KIND = "late_claim"


@dataclasses.dataclass
class AttendanceFigures:
    """A period's approved attendance of the scope, aggregated."""

    per_activity: list[tuple[int, int, int]]  # (activity_id, participations, credited minutes)
    volunteers_by_kind: dict[str, int]  # distinct volunteers per activity kind
    volunteers_by_community: dict[int, int]  # distinct volunteers per community (street scopes only)
    volunteers: int  # distinct volunteers in all
    insured: int = 0  # participations of approved attendance insured on their day (reports/insured.py)
    # Approved late claims of a service elsewhere, per confirming community: (participations, credited minutes).
    elsewhere: dict[int, tuple[int, int]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ActivityFacts:
    kind: str
    community_id: int
    beneficiary_groups: list[str] | None
    beneficiaries_count: int


@cache
def _attendance_statement(by_community: bool, array: bool) -> Any:  # noqa: ANN401
    def communities(column: Any) -> Any:  # noqa: ANN401
        return direct.among_ids(column, "communities", array=array)

    start = bindparam("start", type_=Attendance.service_date.type)
    end = bindparam("end", type_=Attendance.service_date.type)
    # What the ledger posted for the scope's attendance of the period, read as one index range: a posting
    # carries its attendance's community and service date (the tally copies them; `ledger verify`
    # checks it), so this is every posting the attendance below can match. Looking each one up by
    # attendance id instead cost ~4 index and heap pages per attendance, most of the report's time.
    posted = (select(AttendancePosting.attendance_id, AttendancePosting.minutes)
              .where(communities(AttendancePosting.community_id), AttendancePosting.service_date >= start,
                     AttendancePosting.service_date < end).subquery("posted"))
    # Insured participations (参保服务人次) are counted over the same rows (reports/insured.py): attendance only,
    # never a claim, which carries no attendance id.
    attended = (select(Attendance.activity_id, Attendance.volunteer_id, Attendance.community_id,
                       func.coalesce(posted.c.minutes, 0).label("minutes"),
                       Attendance.id.label("attendance_id"), Attendance.service_date)
                .outerjoin(posted, posted.c.attendance_id == Attendance.id)
                .where(Attendance.status == AttendanceStatus.APPROVED, communities(Attendance.community_id),
                       Attendance.service_date >= start, Attendance.service_date < end))
    # Approved late claims count beside attendance (docs/honours-and-reports.md): one of our activities as a
    # participation of it, a service elsewhere (no activity) in the confirming community; as they count now.
    claims = service_rows.claims_now().subquery("claim_now")
    claimed = (select(claims.c.activity_id, claims.c.volunteer_id, claims.c.community_id, claims.c.minutes,
                      cast(null(), BigInteger).label("attendance_id"), claims.c.service_date)
               .where(communities(claims.c.community_id), claims.c.service_date >= start,
                      claims.c.service_date < end))
    att = union_all(attended, claimed).cte("att")
    per = (select(att.c.activity_id, func.count().label("n"), func.sum(att.c.minutes).label("m"))
           .where(att.c.activity_id.is_not(None)).group_by(att.c.activity_id).cte("per"))
    # The kind of each activity of the period (a handful of rows), by primary key: joining the whole
    # activity table instead makes the planner scan all of the city's activities.
    kinds = (select(per.c.activity_id, select(Activity.kind).where(Activity.id == per.c.activity_id)
                    .scalar_subquery().label("kind"))
             .cte("kinds").prefix_with("MATERIALIZED"))
    no_id, no_key = cast(null(), BigInteger), cast(null(), String)
    volunteers = func.count(distinct(att.c.volunteer_id))
    branches = [
        select(literal("activity").label("part"), per.c.activity_id.label("id"), no_key.label("key"),
               per.c.n.label("n"), per.c.m.label("m")),
        select(literal("kind"), no_id, kinds.c.kind, volunteers, no_id)
        .select_from(att.join(kinds, kinds.c.activity_id == att.c.activity_id)).group_by(kinds.c.kind),
        select(literal("all"), no_id, no_key, volunteers, insured_count(att)).select_from(att),
        # Late claims of a service elsewhere: per confirming community, and their volunteers as one kind.
        select(literal("elsewhere"), att.c.community_id, no_key, func.count(), func.sum(att.c.minutes))
        .where(att.c.activity_id.is_(None)).group_by(att.c.community_id),
        select(literal("kind"), no_id, literal(ELSEWHERE_KIND), volunteers, no_id)
        .where(att.c.activity_id.is_(None)).having(func.count() > 0),
    ]
    if by_community:
        branches.append(select(literal("community"), att.c.community_id, no_key, volunteers, no_id)
                        .group_by(att.c.community_id))
    return union_all(*branches)


async def attendance_figures(session: AsyncSession, community_ids: list[int], period: Period, *,
                             by_community: bool) -> AttendanceFigures:
    """Participations and credited minutes per activity, and distinct volunteers, in one statement."""
    figures = AttendanceFigures([], {}, {}, 0)
    rows = await direct.read(session, _attendance_statement(by_community, direct.sends_direct(session)),
                             {"communities": community_ids, "start": period.start, "end": period.end})
    for part, row_id, key, n, m in rows:
        if part == "activity":
            figures.per_activity.append((int(row_id), int(n), int(m or 0)))
        elif part == "kind":
            figures.volunteers_by_kind[str(key)] = int(n)
        elif part == "elsewhere":
            figures.elsewhere[int(row_id)] = (int(n), int(m or 0))
        elif part == "community":
            figures.volunteers_by_community[int(row_id)] = int(n)
        else:
            figures.volunteers, figures.insured = int(n), int(m or 0)
    figures.per_activity.sort()
    return figures


async def activity_facts(session: AsyncSession, activity_ids: set[int]) -> dict[int, ActivityFacts]:
    """Kind, community, beneficiary groups and beneficiaries of these activities."""
    if not activity_ids:
        return {}
    rows = await direct.read(session, _facts_statement(direct.sends_direct(session)), {"ids": sorted(activity_ids)})
    return {activity_id: ActivityFacts(kind, community_id, _groups(groups), int(beneficiaries or 0))
            for activity_id, kind, community_id, groups, beneficiaries in rows}


def _groups(value: Any) -> list[str] | None:  # noqa: ANN401
    """A JSON column's list: decoded by SQLAlchemy through the session, JSON text when sent straight to asyncpg."""
    return json.loads(value) if isinstance(value, str) else value


@cache
def _facts_statement(array: bool) -> Any:  # noqa: ANN401
    return (select(Activity.id, Activity.kind, Activity.community_id, Activity.beneficiary_groups,
                   Activity.beneficiaries_count).where(direct.among_ids(Activity.id, array=array)))


@cache
def _registers_statement(array: bool) -> Any:  # noqa: ANN401
    # One statement for both periods: each register is read once, counted twice.
    def ids_of(column: Any) -> Any:  # noqa: ANN401
        return direct.among_ids(column, "communities", array=array)

    first = bindparam("first_end", type_=Team.created_at.type)
    second = bindparam("second_end", type_=Team.created_at.type)
    teams = (select(func.count().filter(Team.created_at < first).label("first"),
                    func.count().filter(Team.created_at < second).label("second"))
             .where(ids_of(Team.community_id)).subquery())
    registered = (select(func.count().filter(Volunteer.created_at < first).label("first"),
                         func.count().filter(Volunteer.created_at < second).label("second"))
                  .where(ids_of(Volunteer.community_id),
                         # Two comparisons, not NOT IN of a list: a list is expanded per call, never compiled once.
                         Volunteer.status != VolunteerStatus.PENDING, Volunteer.status != VolunteerStatus.LEFT)
                  .subquery())
    return (select(teams.c.first, teams.c.second, registered.c.first, registered.c.second)
            .select_from(teams.join(registered, true())))


async def register_counts(session: AsyncSession, community_ids: list[int], first_end: dt.datetime,
                          second_end: dt.datetime) -> tuple[tuple[int, int], tuple[int, int]]:
    """((teams, registered volunteers) created before first_end, the same before second_end).

    Registered volunteers are neither pending nor left (their status today).
    """
    (row,) = await direct.read(session, _registers_statement(direct.sends_direct(session)),
                               {"communities": community_ids, "first_end": first_end, "second_end": second_end})
    return (int(row[0] or 0), int(row[2] or 0)), (int(row[1] or 0), int(row[3] or 0))


@cache
def _community_statement() -> Any:  # noqa: ANN401
    return select(Community.id, Community.name).where(Community.id == bindparam("scope_id", type_=BigInteger))


@cache
def _street_statement() -> Any:  # noqa: ANN401
    # The street's name on every row, and one row with no community for a street that has none.
    scope_id = bindparam("scope_id", type_=BigInteger)
    return (select(Street.name, Community.id, Community.name)
            .outerjoin(Community, Community.street_id == Street.id).where(Street.id == scope_id)
            .order_by(Community.id))


async def scope_communities(session: AsyncSession, scope_kind: str, scope_id: int) -> tuple[str, dict[int, str]]:
    """(scope name, {community id: name}) of a community or street; empty name when it does not exist."""
    if scope_kind == "community":
        rows = await direct.read(session, _community_statement(), {"scope_id": scope_id})
        return (rows[0][1], {rows[0][0]: rows[0][1]}) if rows else ("", {})
    rows = await direct.read(session, _street_statement(), {"scope_id": scope_id})
    return (rows[0][0] if rows else "") or "", {cid: name for _, cid, name in rows if cid is not None}
