"""台账 statistics for a community or street and a month, quarter or year, with the same period last year.

Sources (every figure is reproducible from the records):
- participations (人次), volunteers served (人), activities (次): approved attendance (`attendance.status =
  'approved'`) of the scope's communities whose `service_date` lies in the period;
- service minutes: what the ledger credited for those attendances (`ledger_attendance_posting.minutes`);
- approved late claims (补录) as they count now (records/service_rows.claims_now: the day and activity of their latest
  accepted correction, `posted_minutes`) whose day lies in the period: a claim of one of our activities is one more
  participation of that activity (its volunteer served; the activity counts once, its beneficiaries too); a claim of
  a service elsewhere is a participation with its hours in the confirming community, under the kind 补录（组织外服务）
  and the group 未注明, with no activity and no beneficiaries;
- beneficiaries (受益人次): `activity.beneficiaries_count` of those activities, each activity once;
- insured participations (参保服务人次): those participations whose volunteer or activity had insurance cover valid
  on the day (reports/insured.py);
- teams (支) and registered volunteers (人): rows created before the period ended (volunteers neither
  pending nor left).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities import repository as activity_repo
from servicebank.reports import repository as repo
from servicebank.reports.periods import Period
from servicebank.reports.schemas import BreakdownRow, Figures, TaizhangOut

UNSPECIFIED_GROUP = "未注明"
ELSEWHERE_NAME = "补录（组织外服务）"


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


async def period_data(session: AsyncSession, community_ids: list[int], period: Period, *, by_community: bool,
                      registers: tuple[int, int]) -> _PeriodData:
    """Every figure of one period for these communities: one statement over the approved attendance, one
    for the activities it names. `registers` are the (teams, registered volunteers) counts of the period."""
    by_kind: dict[str, _Tally] = defaultdict(_Tally)
    by_group: dict[str, _Tally] = defaultdict(_Tally)
    by_community_: dict[int, _Tally] = {cid: _Tally() for cid in community_ids}
    total = _Tally()
    found = await repo.attendance_figures(session, community_ids, period, by_community=by_community)
    facts = await repo.activity_facts(session, {activity_id for activity_id, _, _ in found.per_activity})
    for activity_id, participations, minutes in found.per_activity:
        activity = facts[activity_id]
        groups = list(dict.fromkeys(activity.beneficiary_groups or [])) or [UNSPECIFIED_GROUP]
        for tally in (total, by_kind[activity.kind], by_community_[activity.community_id],
                      *(by_group[g] for g in groups)):
            tally.activities += 1
            tally.participations += participations
            tally.minutes += minutes
            tally.beneficiaries += activity.beneficiaries_count
    for community_id, (participations, minutes) in found.elsewhere.items():
        # A late claim of a service elsewhere: a participation with its hours, but no activity of ours and no
        # beneficiaries; it belongs to the community that confirmed it (谁记录谁证明).
        for tally in (total, by_kind[repo.ELSEWHERE_KIND], by_community_[community_id], by_group[UNSPECIFIED_GROUP]):
            tally.participations += participations
            tally.minutes += minutes
    for kind, count in found.volunteers_by_kind.items():
        by_kind[kind].volunteers = count
    # A community scope's one community served exactly the scope's volunteers.
    volunteers_by_community = found.volunteers_by_community if by_community else (
        {community_ids[0]: found.volunteers} if found.volunteers else {})
    for cid, count in volunteers_by_community.items():
        by_community_[cid].volunteers = count
    teams, registered = registers
    figures = Figures(teams=teams, volunteers_registered=registered,
                      volunteers_served=found.volunteers, activities=total.activities,
                      participations=total.participations, service_minutes=total.minutes,
                      service_hours=hours(total.minutes), beneficiaries=total.beneficiaries,
                      insured_participations=found.insured)
    return _PeriodData(figures, dict(by_kind), dict(by_group), by_community_)


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


async def build(session: AsyncSession, *, scope_kind: str, scope_id: int, scope_name: str,
                communities: dict[int, str], period: Period, timezone: str) -> TaizhangOut:
    """The full report for a scope and period, with the same period one year earlier."""
    ids = list(communities)
    before = period.year_before()
    street = scope_kind == "street"
    now_registers, before_registers = await repo.register_counts(
        session, ids, period.utc_bounds(timezone)[1], before.utc_bounds(timezone)[1])
    current = await period_data(session, ids, period, by_community=street, registers=now_registers)
    last = await period_data(session, ids, before, by_community=street, registers=before_registers)
    kind_names = {repo.ELSEWHERE_KIND: ELSEWHERE_NAME, **await activity_repo.kind_names_of(session, ids)}
    groups = {g: g for g in set(current.by_group) | set(last.by_group)}
    return TaizhangOut(
        scope=f"{scope_kind}:{scope_id}", scope_name=scope_name, period=period.label, period_name=period.chinese,
        last_year_period=before.label, current=current.figures, last_year=last.figures,
        by_kind=_rows(current.by_kind, last.by_kind, kind_names),
        by_group=_rows(current.by_group, last.by_group, groups),
        by_community=_rows(current.by_community, last.by_community, communities) if street else [])
