"""Queries over honour lists and their objections."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.honours.models import HonourEntry, HonourList, HonourObjection, ListStatus, ObjectionStatus, Scope
from servicebank.kernel import direct
from servicebank.org.models import Community, Street


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


async def get_list(session: AsyncSession, list_id: int, *, for_update: bool = False) -> HonourList | None:
    """The list, row-locked when for_update."""
    query = select(HonourList).where(HonourList.id == list_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def entries_of(session: AsyncSession, list_id: int) -> list[HonourEntry]:
    """A list's entries, section by section, in rank order."""
    rows = await session.scalars(select(HonourEntry).where(HonourEntry.list_id == list_id)
                                 .order_by(HonourEntry.section, HonourEntry.position))
    return list(rows.all())


async def has_entries(session: AsyncSession, list_id: int) -> bool:
    """Whether the list names anybody."""
    return bool(await session.scalar(select(func.count()).select_from(HonourEntry)
                                     .where(HonourEntry.list_id == list_id)))


async def upheld_versions(session: AsyncSession, list_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(list id, version) pairs that have an upheld objection."""
    rows = await session.execute(select(HonourObjection.list_id, HonourObjection.list_version).where(
        HonourObjection.list_id.in_(list(list_ids) or [0]), HonourObjection.status == ObjectionStatus.UPHELD)
        .distinct())
    return [(int(list_id), int(version)) for list_id, version in rows.all()]


async def scope_name(session: AsyncSession, scope_kind: str, scope_id: int) -> str:
    """The community's or the street's name ("" when it is gone)."""
    model = Community if scope_kind == Scope.COMMUNITY else Street
    return await session.scalar(select(model.name).where(model.id == scope_id)) or ""


async def street_of_community(session: AsyncSession, community_id: int) -> int | None:
    """The street a community belongs to."""
    return await session.scalar(select(Community.street_id).where(Community.id == community_id))


async def objections_from(session: AsyncSession, client_key: str, *, since: dt.datetime) -> int:
    """How many objections one (hashed) client address raised since a moment."""
    return int(await session.scalar(select(func.count()).select_from(HonourObjection).where(
        HonourObjection.client_key == client_key, HonourObjection.created_at > since)) or 0)


async def objections_of(session: AsyncSession, list_id: int) -> list[HonourObjection]:
    """A list's objections, oldest first."""
    rows = await session.scalars(select(HonourObjection).where(HonourObjection.list_id == list_id)
                                 .order_by(HonourObjection.id))
    return list(rows.all())


@dataclasses.dataclass(frozen=True)
class ListTitle:
    """What the dashboard's 待处理 shows of an honour list."""

    id: int
    title: str


async def lists_with_open_objections(session: AsyncSession, community_id: int) -> list[tuple[ListTitle, int]]:
    """The community's lists with unanswered objections, and how many each has (plain rows through
    kernel/direct.py: the dashboard reads it on every view)."""
    rows = await direct.read(session, _open_objections_statement(), {"community_id": community_id})
    return [(ListTitle(list_id, title), int(n)) for list_id, title, n in rows]


@cache
def _open_objections_statement() -> Any:  # noqa: ANN401
    return (select(HonourList.id, HonourList.title, func.count(HonourObjection.id))
            .join(HonourObjection, HonourObjection.list_id == HonourList.id)
            .where(HonourList.scope_kind == Scope.COMMUNITY,
                   HonourList.scope_id == bindparam("community_id", type_=BigInteger),
                   HonourObjection.status == ObjectionStatus.OPEN)
            .group_by(HonourList.id, HonourList.title).order_by(HonourList.id))
