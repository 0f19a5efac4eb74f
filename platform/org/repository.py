"""Queries over the administrative hierarchy: communities, streets, grids."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.org.models import Community, Grid, Street


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
