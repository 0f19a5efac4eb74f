"""台账 statistics for a community or street and a month, quarter or year, with the same period last year.

Sources (every figure is reproducible from the records):
- participations (人次), volunteers served (人), activities (次): approved attendance (`attendance.status =
  'approved'`) of the scope's communities whose `service_date` lies in the period;
- service minutes: what the ledger credited for those attendances (`ledger_attendance_posting.minutes`);
- beneficiaries (受益人次): `activity.beneficiaries_count` of those activities, each activity once;
- teams (支) and registered volunteers (人): rows created before the period ended (volunteers neither
  pending nor left).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity, ActivityKind
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.org.models import Community, Street
from servicebank.points.models import AttendancePosting
from servicebank.reports.periods import Period
from servicebank.reports.schemas import BreakdownRow, Figures, TaizhangOut
from servicebank.volunteers.models import Team, Volunteer, VolunteerStatus

UNSPECIFIED_GROUP = "未注明"


@dataclasses.dataclass
class _Tally:
    activities: int = 0
    participations: int = 0
    minutes: int = 0
    beneficiaries: int = 0
    volunteers: int | None = None


@dataclasses.dataclass
class _PeriodData:
    figures: Figures
    by_kind: dict[str, _Tally]
    by_group: dict[str, _Tally]
    by_community: dict[int, _Tally]


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


async def _per_activity(session: AsyncSession, community_ids: list[int], period: Period) -> list:  # noqa: ANN401
    per = (
        select(Attendance.activity_id, func.count().label("participations"),
               func.coalesce(func.sum(AttendancePosting.minutes), 0).label("minutes"))
        .outerjoin(AttendancePosting, AttendancePosting.attendance_id == Attendance.id)
        .where(Attendance.status == AttendanceStatus.APPROVED, Attendance.community_id.in_(community_ids),
               Attendance.service_date >= period.start, Attendance.service_date < period.end)
        .group_by(Attendance.activity_id).subquery()
    )
    return list((await session.execute(
        select(per.c.activity_id, per.c.participations, per.c.minutes, Activity.kind, Activity.community_id,
               Activity.beneficiary_groups, Activity.beneficiaries_count)
        .join(Activity, Activity.id == per.c.activity_id).order_by(per.c.activity_id))).all())


async def _distinct_volunteers(session: AsyncSession, community_ids: list[int], period: Period,
                               column) -> dict[object, int]:  # noqa: ANN001
    rows = await session.execute(
        select(column, func.count(distinct(Attendance.volunteer_id)))
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(Attendance.status == AttendanceStatus.APPROVED, Attendance.community_id.in_(community_ids),
               Attendance.service_date >= period.start, Attendance.service_date < period.end)
        .group_by(column))
    return {key: int(count) for key, count in rows.all()}


async def period_data(session: AsyncSession, community_ids: list[int], period: Period, timezone: str) -> _PeriodData:
    """Every figure of one period for these communities, with a handful of aggregate queries."""
    _, end_utc = period.utc_bounds(timezone)
    by_kind: dict[str, _Tally] = defaultdict(_Tally)
    by_group: dict[str, _Tally] = defaultdict(_Tally)
    by_community: dict[int, _Tally] = {cid: _Tally() for cid in community_ids}
    total = _Tally()
    for row in await _per_activity(session, community_ids, period):
        groups = list(dict.fromkeys(row.beneficiary_groups or [])) or [UNSPECIFIED_GROUP]
        for tally in (total, by_kind[row.kind], by_community[row.community_id], *(by_group[g] for g in groups)):
            tally.activities += 1
            tally.participations += int(row.participations)
            tally.minutes += int(row.minutes)
            tally.beneficiaries += int(row.beneficiaries_count or 0)
    for kind, count in (await _distinct_volunteers(session, community_ids, period, Activity.kind)).items():
        by_kind[str(kind)].volunteers = count
    for cid, count in (await _distinct_volunteers(session, community_ids, period, Attendance.community_id)).items():
        by_community[int(cid)].volunteers = count  # type: ignore[arg-type]
    served = await session.scalar(
        select(func.count(distinct(Attendance.volunteer_id)))
        .where(Attendance.status == AttendanceStatus.APPROVED, Attendance.community_id.in_(community_ids),
               Attendance.service_date >= period.start, Attendance.service_date < period.end))
    teams = await session.scalar(select(func.count()).select_from(Team).where(
        Team.community_id.in_(community_ids), Team.created_at < end_utc))
    registered = await session.scalar(select(func.count()).select_from(Volunteer).where(
        Volunteer.community_id.in_(community_ids), Volunteer.created_at < end_utc,
        Volunteer.status.not_in((VolunteerStatus.PENDING, VolunteerStatus.LEFT))))
    figures = Figures(teams=int(teams or 0), volunteers_registered=int(registered or 0),
                      volunteers_served=int(served or 0), activities=total.activities,
                      participations=total.participations, service_minutes=total.minutes,
                      service_hours=hours(total.minutes), beneficiaries=total.beneficiaries)
    return _PeriodData(figures, dict(by_kind), dict(by_group), by_community)


def _rows(current: dict, last: dict, names: dict) -> list[BreakdownRow]:  # noqa: ANN001
    keys = sorted(set(current) | set(last), key=lambda k: (-(current.get(k) or _Tally()).minutes, str(k)))
    rows = []
    for key in keys:
        now, before = current.get(key) or _Tally(), last.get(key) or _Tally()
        rows.append(BreakdownRow(
            key=str(key), name=names.get(key, str(key)), activities=now.activities,
            participations=now.participations, volunteers=now.volunteers,
            service_minutes=now.minutes, beneficiaries=now.beneficiaries, last_year_activities=before.activities,
            last_year_participations=before.participations, last_year_service_minutes=before.minutes,
            last_year_beneficiaries=before.beneficiaries))
    return rows


async def scope_communities(session: AsyncSession, scope_kind: str, scope_id: int) -> tuple[str, dict[int, str]]:
    """(scope name, {community id: name}) of a community or street; empty name when it does not exist."""
    if scope_kind == "community":
        row = (await session.execute(select(Community.id, Community.name).where(Community.id == scope_id))).first()
        return (row.name, {row.id: row.name}) if row else ("", {})
    name = await session.scalar(select(Street.name).where(Street.id == scope_id))
    rows = (await session.execute(select(Community.id, Community.name).where(Community.street_id == scope_id)
                                  .order_by(Community.id))).all()
    return name or "", {r.id: r.name for r in rows}


async def build(session: AsyncSession, *, scope_kind: str, scope_id: int, scope_name: str,
                communities: dict[int, str], period: Period, timezone: str) -> TaizhangOut:
    """The full report for a scope and period, with the same period one year earlier."""
    ids = list(communities)
    before = period.year_before()
    current = await period_data(session, ids, period, timezone)
    last = await period_data(session, ids, before, timezone)
    kind_names = dict((await session.execute(
        select(ActivityKind.code, ActivityKind.name)
        .where((ActivityKind.community_id.is_(None)) | (ActivityKind.community_id.in_(ids)))
        .order_by(ActivityKind.community_id.is_(None).desc()))).all())  # the community's own name wins
    groups = {g: g for g in set(current.by_group) | set(last.by_group)}
    return TaizhangOut(
        scope=f"{scope_kind}:{scope_id}", scope_name=scope_name, period=period.label, period_name=period.chinese,
        last_year_period=before.label, current=current.figures, last_year=last.figures,
        by_kind=_rows(current.by_kind, last.by_kind, kind_names),
        by_group=_rows(current.by_group, last.by_group, groups),
        by_community=_rows(current.by_community, last.by_community, communities) if scope_kind == "street" else [])

