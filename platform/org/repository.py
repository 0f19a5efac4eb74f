"""Queries over the administrative hierarchy: communities, streets, grids."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel import direct
from servicebank.org.models import Community, Grid, Street


@dataclasses.dataclass(frozen=True)
class CommunityName:
    """A community as a switcher and a page heading show it."""

    id: int
    name: str


@cache
def _names_statement(every: bool, array: bool) -> Any:  # noqa: ANN401
    query = select(Community.id, Community.name).order_by(Community.name)
    return query if every else query.where(direct.among_ids(Community.id, array=array))


async def community_names(session: AsyncSession, ids: Collection[int] | None = None) -> list[CommunityName]:
    """communities_by_name as plain rows through kernel/direct.py (the dashboard reads it on every view)."""
    rows = await direct.read(session, _names_statement(ids is None, direct.sends_direct(session)),
                             {} if ids is None else {"ids": sorted(ids)})
    return [CommunityName(community_id, name) for community_id, name in rows]


async def communities_by_name(session: AsyncSession, ids: Collection[int] | None = None) -> list[Community]:
    """These communities (None: every one), by name."""
    query = select(Community).order_by(Community.name)
    if ids is not None:
        query = query.where(Community.id.in_(ids))
    return list((await session.scalars(query)).all())


async def get_community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def streets_by_name(session: AsyncSession, ids: Collection[int] | None = None) -> list[Street]:
    """These streets (None: every one), by name."""
    query = select(Street).order_by(Street.name)
    if ids is not None:
        query = query.where(Street.id.in_(ids))
    return list((await session.scalars(query)).all())


async def grids_by_name(session: AsyncSession, community_id: int) -> list[Grid]:
    """The community's grids, by name (as a form offers them)."""
    return list((await session.scalars(select(Grid).where(Grid.community_id == community_id)
                                       .order_by(Grid.name))).all())


async def get_grid(session: AsyncSession, grid_id: int) -> Grid | None:
    return await session.get(Grid, grid_id)
