"""Demo activities: past completed ones, today's, upcoming ones, a weekly patrol series and sign-ups."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities import series as series_service
from servicebank.activities.kinds import ensure_builtin_kinds
from servicebank.activities.models import (
    Activity,
    ActivityProposal,
    ActivitySeries,
    ActivityStatus,
    ProposalStatus,
    SeriesStatus,
    Signup,
    SignupStatus,
)
from servicebank.config import get_settings

# (days from today, hour, hours long, kind, title, address, capacity, beneficiaries, groups)
ONE_OFF = [
    (-20, 9, 3, "cleanup", "春季楼道大扫除", "和谐社区1-6号楼", 20, 300, []),
    (-12, 14, 2, "elderly_visit", "重阳节走访空巢老人", "和谐社区各网格", 10, 25, ["空巢老人", "高龄老人"]),
    (-6, 9, 3, "health_clinic", "社区健康义诊", "社区服务中心一楼", 8, 120, ["老年人"]),
    (-3, 19, 2, "cultural_show", "夕阳红文艺汇演", "社区文化广场", 30, 200, ["老年人"]),
    (0, 8, 10, "festival", "端午包粽子送邻里", "社区活动室", 25, 80, ["困难家庭", "空巢老人"]),
    (0, 16, 2, "child_care", "四点半课堂", "社区图书室", 6, 20, ["留守儿童"]),
    (2, 9, 2, "legal_publicity", "反诈普法宣传", "小区东门", 10, 150, []),
    (4, 14, 3, "disability_aid", "助残上门理发", "和谐社区第二网格", 4, 12, ["残疾人"]),
    (6, 9, 3, "cleanup", "垃圾分类督导", "各垃圾投放点", 12, 500, []),
    (9, 9, 4, "health_clinic", "中医义诊进社区", "社区服务中心", 5, 100, ["老年人"]),
]


def _at(tz: ZoneInfo, days: int, hour: int) -> dt.datetime:
    day = dt.datetime.now(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)


def _status(starts: dt.datetime, ends: dt.datetime, now: dt.datetime) -> str:
    if ends <= now:
        return ActivityStatus.COMPLETED
    return ActivityStatus.IN_PROGRESS if starts <= now else ActivityStatus.PUBLISHED


async def seed(session: AsyncSession, ctx: Any) -> None:
    """Add the demo activities of the first community (and one of the neighbour)."""
    await ensure_builtin_kinds(session)
    tz = ZoneInfo(get_settings().timezone)
    now = dt.datetime.now(dt.UTC)
    community, other = ctx.values["community"], ctx.values["other_community"]
    teams, volunteers = ctx.values["teams"], ctx.values["volunteers"]
    hexie = [v for v in volunteers if v.community_id == community.id]
    made: list[Activity] = []
    for days, hour, hours, kind, title, address, capacity, served, groups in ONE_OFF:
        starts, ends = _at(tz, days, hour), _at(tz, days, hour) + dt.timedelta(hours=hours)
        activity = Activity(community_id=community.id, kind=kind, title=title, address=address, capacity=capacity,
                            starts_at=starts, ends_at=ends, status=_status(starts, ends, now),
                            beneficiaries_count=served, beneficiary_groups=groups, published_at=now,
                            description=f"{title}，欢迎志愿者报名参加。", updated_at=now, created_at=now)
        if kind == "cultural_show":
            activity.team_ids = [teams[1].id]
        if kind == "disability_aid":
            activity.required_skill = "理发"
        session.add(activity)
        made.append(activity)
    await session.flush()
    for i, activity in enumerate(made):
        people = [v for v in hexie if not activity.required_skill or activity.required_skill in v.skill_tags]
        take = min(len(people), (activity.capacity or 5) + (2 if i == 7 else 0), 12)
        limit = activity.capacity
        for n, volunteer in enumerate(people[:take]):
            full = limit is not None and n >= limit
            session.add(Signup(activity_id=activity.id, volunteer_id=volunteer.id,
                               status=SignupStatus.WAITLISTED if full else SignupStatus.CONFIRMED,
                               position=n - limit + 1 if limit is not None and full else None,
                               created_at=now, updated_at=now))
    proposal_activity = Activity(
        community_id=community.id, kind="festival", title="中秋邻里游园会", address="社区文化广场", capacity=40,
        starts_at=_at(tz, 20, 18), ends_at=_at(tz, 20, 21), status=ActivityStatus.PENDING_APPROVAL,
        needs_approval=True, beneficiaries_count=400, description="游园、猜灯谜、包月饼。", created_at=now, updated_at=now)
    session.add(proposal_activity)
    session.add(Activity(community_id=other.id, kind="elderly_visit", title="友邻社区助老送餐", address="友邻社区食堂",
                         capacity=6, starts_at=_at(tz, 3, 11), ends_at=_at(tz, 3, 13),
                         status=ActivityStatus.PUBLISHED, published_at=now, created_at=now, updated_at=now))
    await session.flush()
    session.add(ActivityProposal(activity_id=proposal_activity.id, goals="增进邻里交流，关爱独居老人", budget_fen=300000,
                                 expected_participants=40, schedule="18:00 签到；18:30 游园；20:30 清场",
                                 status=ProposalStatus.PENDING, submitted_at=now))
    first = _at(tz, 1, 19)
    patrol = ActivitySeries(
        community_id=community.id, rrule="FREQ=WEEKLY;BYDAY=TU,SA", first_starts_at=first, duration_minutes=120,
        timezone=str(tz), status=SeriesStatus.ACTIVE, publish_occurrences=True, created_at=now, updated_at=now,
        template={"kind": "patrol", "title": "平安夜间巡逻", "description": "两人一组巡查楼栋、车棚和消防通道。",
                  "beneficiary_groups": [], "address": "社区警务室集合", "latitude": None, "longitude": None,
                  "capacity": 6, "team_ids": [teams[2].id], "required_skill": None,
                  "hours_rule_override": {"multiplier_permille": 1200}, "beneficiaries_count": 0},
    )
    session.add(patrol)
    await session.flush()
    await series_service.materialise(session, patrol)
    ctx.values["activities"] = made
    ctx.values["patrol_series"] = patrol
