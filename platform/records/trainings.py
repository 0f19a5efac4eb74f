"""Training (培训情况): courses a volunteer took, recorded by an organiser of their community or made by attending a
training activity (records/training_activities.py), hours kept apart from service hours (never service time, stars,
leaderboards; points only from a training activity, and only when the community's training rule says so).

Services flush, never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit, snapshot
from servicebank.kernel.db import local_date
from servicebank.kernel.errors import InvalidInput
from servicebank.records.access import readable_volunteer
from servicebank.records.models import TrainingCategory, TrainingRecord, TrainingRule
from servicebank.records.schemas import TrainingIn, TrainingOut, TrainingRuleIn, TrainingRuleOut, TrainingSummaryOut

MAX_MINUTES = 24 * 60


def _out(row: TrainingRecord) -> TrainingOut:
    return TrainingOut(id=row.id, volunteer_id=row.volunteer_id, category=row.category, title=row.title,
                       provider=row.provider, trained_on=row.trained_on, minutes=row.minutes,
                       recorded_by_user_id=row.recorded_by_user_id, created_at=row.created_at,
                       activity_id=row.activity_id, points=row.posted_points)


async def record(session: AsyncSession, *, principal: Principal, volunteer_id: int, data: TrainingIn,
                 now: dt.datetime) -> TrainingOut:
    """An organiser of the volunteer's community records a course they took (audited)."""
    volunteer = await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    principal.require_manager(volunteer.community_id)
    title, provider = data.title.strip(), data.provider.strip()
    if data.category not in TrainingCategory.ALL or not title or len(title) > 200 or len(provider) > 100 \
            or not 1 <= data.minutes <= MAX_MINUTES or data.trained_on > local_date(session, now):
        raise InvalidInput("Give the category (general, professional or pre_service), a title of up to 200 "
                           "characters, a day not in the future and 1 to 1440 minutes.", code="invalid_training")
    row = TrainingRecord(volunteer_id=volunteer.id, community_id=volunteer.community_id, category=data.category,
                         title=title, provider=provider, trained_on=data.trained_on, minutes=data.minutes,
                         recorded_by_user_id=principal.user_id, created_at=now)
    session.add(row)
    await session.flush()
    await record_audit(session, actor=principal, action="training.record", entity_type="training_record",
                       entity_id=row.id, community_id=volunteer.community_id, after=snapshot(row))
    return _out(row)


async def summary(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> TrainingSummaryOut:
    """The volunteer's 培训情况, for themself and the organisers of their community."""
    volunteer = await readable_volunteer(session, principal=principal, volunteer_id=volunteer_id)
    rows = (await session.scalars(select(TrainingRecord).where(TrainingRecord.volunteer_id == volunteer.id)
                                  .order_by(TrainingRecord.trained_on.desc(), TrainingRecord.id.desc()))).all()
    by_category = {category: sum(r.minutes for r in rows if r.category == category)
                   for category in TrainingCategory.ALL}
    return TrainingSummaryOut(volunteer_id=volunteer.id, minutes_by_category=by_category,
                              total_minutes=sum(by_category.values()), trainings=[_out(r) for r in rows])


async def rule(session: AsyncSession, *, principal: Principal, community_id: int) -> TrainingRuleOut:
    """The community's training rule, for its members (default: training earns no points)."""
    principal.require_member(community_id)
    row = await session.get(TrainingRule, community_id)
    return TrainingRuleOut(community_id=community_id, earns_points=bool(row and row.earns_points))


async def set_rule(session: AsyncSession, *, principal: Principal, community_id: int, data: TrainingRuleIn,
                   now: dt.datetime) -> TrainingRuleOut:
    """An organiser decides whether attending a training activity earns points (audited); from the next attendance
    approved or changed on, earlier ones keep what they were given."""
    principal.require_manager(community_id)
    row = await session.get(TrainingRule, community_id)
    before = snapshot(row) if row is not None else None
    if row is None:
        row = TrainingRule(community_id=community_id)
        session.add(row)
    row.earns_points, row.updated_at = data.earns_points, now
    await session.flush()
    await record_audit(session, actor=principal, action="training_rule.update", entity_type="training_rule",
                       entity_id=community_id, community_id=community_id, before=before, after=snapshot(row))
    return TrainingRuleOut(community_id=community_id, earns_points=row.earns_points)
