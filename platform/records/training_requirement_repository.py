"""Queries of the trainings activity kinds and request categories require, and of a volunteer's latest training per
category (records/training_requirements.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Exists, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.records.models import TrainingRecord, TrainingRequirement

_ORDER = (TrainingRequirement.kind_code.is_(None), TrainingRequirement.kind_code,
          TrainingRequirement.request_category_id, TrainingRequirement.category)


async def requirements(session: AsyncSession, community_id: int) -> Sequence[TrainingRequirement]:
    """The community's requirements: kinds first, then request categories, each by training category."""
    return (await session.scalars(select(TrainingRequirement)
                                  .where(TrainingRequirement.community_id == community_id).order_by(*_ORDER))).all()


async def of_kind(session: AsyncSession, *, community_id: int, kind_code: str) -> Sequence[TrainingRequirement]:
    return (await session.scalars(select(TrainingRequirement).where(
        TrainingRequirement.community_id == community_id, TrainingRequirement.kind_code == kind_code)
        .order_by(TrainingRequirement.category))).all()


def _of_request_category(community_id: Any, category_id: Any) -> ColumnElement[bool]:
    return and_(TrainingRequirement.community_id == community_id, TrainingRequirement.request_category_id == category_id)


async def of_request_category(session: AsyncSession, *, community_id: int,
                              category_id: int) -> Sequence[TrainingRequirement]:
    return (await session.scalars(select(TrainingRequirement).where(_of_request_category(community_id, category_id))
                                  .order_by(TrainingRequirement.category))).all()


def request_category_requirement(community_id: Any, category_id: Any) -> Exists:
    """Whether the community's request category requires a training, for values or another statement's columns."""
    return exists().where(_of_request_category(community_id, category_id))


async def of_kinds_in(session: AsyncSession, community_ids: Iterable[int]) -> Sequence[TrainingRequirement]:
    """Every activity kind's requirements in these communities (the sign-up list says what each one needs)."""
    return (await session.scalars(select(TrainingRequirement).where(
        TrainingRequirement.community_id.in_(list(community_ids)), TrainingRequirement.kind_code.is_not(None))
        .order_by(*_ORDER))).all()


async def latest_by_category(session: AsyncSession, *, volunteer_id: int, on: dt.date) -> dict[str, dt.date]:
    """The day of the volunteer's latest training of each category up to day `on`. A training activity whose
    attendance was declined keeps its record with 0 minutes (nothing is deleted): it is no training."""
    rows = await session.execute(
        select(TrainingRecord.category, func.max(TrainingRecord.trained_on))
        .where(TrainingRecord.volunteer_id == volunteer_id, TrainingRecord.minutes > 0,
               TrainingRecord.trained_on <= on)
        .group_by(TrainingRecord.category))
    return {category: day for category, day in rows.all()}
