"""Queries of insurance cover (保险): who is covered on which day, and which kinds and request categories require it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Exists, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.records.models import CoverRequirement, InsuranceCover


def _valid_on(on: dt.date):  # noqa: ANN202 - a SQL condition
    return (InsuranceCover.valid_from <= on) & (InsuranceCover.valid_until >= on)


async def is_covered(session: AsyncSession, *, volunteer_id: int, on: dt.date, activity_id: int | None = None) -> bool:
    """Whether the volunteer's own cover, or the activity's group policy, is valid on day `on`."""
    holders = [InsuranceCover.volunteer_id == volunteer_id]
    if activity_id is not None:
        holders.append(InsuranceCover.activity_id == activity_id)
    return bool(await session.scalar(select(exists().where(or_(*holders), _valid_on(on)))))


async def kind_requires(session: AsyncSession, *, community_id: int, kind_code: str) -> bool:
    return bool(await session.scalar(select(exists().where(CoverRequirement.community_id == community_id,
                                                           CoverRequirement.kind_code == kind_code))))


def category_requirement(community_id: Any, category_id: Any) -> Exists:
    """Whether the community's request category requires cover, for values or for another statement's columns."""
    return exists().where(CoverRequirement.community_id == community_id,
                          CoverRequirement.request_category_id == category_id)


async def category_requires(session: AsyncSession, *, community_id: int, category_id: int) -> bool:
    return bool(await session.scalar(select(category_requirement(community_id, category_id))))


async def requirements(session: AsyncSession, community_id: int) -> Sequence[CoverRequirement]:
    """The community's kinds, then request categories, that require cover."""
    return (await session.scalars(select(CoverRequirement).where(CoverRequirement.community_id == community_id)
                                  .order_by(CoverRequirement.kind_code.is_(None), CoverRequirement.kind_code,
                                            CoverRequirement.request_category_id))).all()


async def covers_of_volunteer(session: AsyncSession, volunteer_id: int) -> Sequence[InsuranceCover]:
    """A volunteer's own policies, latest end first."""
    return (await session.scalars(select(InsuranceCover).where(InsuranceCover.volunteer_id == volunteer_id)
                                  .order_by(InsuranceCover.valid_until.desc(), InsuranceCover.id.desc()))).all()


async def covers_of_activity(session: AsyncSession, activity_id: int) -> Sequence[InsuranceCover]:
    """An activity's group policies, latest end first."""
    return (await session.scalars(select(InsuranceCover).where(InsuranceCover.activity_id == activity_id)
                                  .order_by(InsuranceCover.valid_until.desc(), InsuranceCover.id.desc()))).all()
