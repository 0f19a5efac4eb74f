"""Queries over honour lists and their objections."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.honours.models import HonourList, HonourObjection, ListStatus, ObjectionStatus


async def lists_of_scope(session: AsyncSession, *, scope_kind: str, scope_id: int, drafts: bool = True,
                         limit: int | None = None) -> list[HonourList]:
    """A scope's lists, newest month first (the newest list of a month first)."""
    query = (select(HonourList).where(HonourList.scope_kind == scope_kind, HonourList.scope_id == scope_id)
             .order_by(HonourList.month.desc(), HonourList.id.desc()))
    if not drafts:
        query = query.where(HonourList.status != ListStatus.DRAFT)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.scalars(query)).all())


async def open_objection_counts(session: AsyncSession, list_ids: Sequence[int]) -> dict[int, int]:
    """list id -> how many of its objections nobody answered yet (lists without any are absent)."""
    if not list_ids:
        return {}
    rows = await session.execute(
        select(HonourObjection.list_id, func.count()).where(
            HonourObjection.list_id.in_(list(list_ids)), HonourObjection.status == ObjectionStatus.OPEN)
        .group_by(HonourObjection.list_id))
    return {int(list_id): int(n) for list_id, n in rows.all()}
