"""Queries over the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.audit.models import AuditEntry


def entries_query(*, community_ids: frozenset[int] | None, action: str | None = None,
                  entity_type: str | None = None, entity_id: str | None = None, actor_user_id: int | None = None,
                  since: dt.datetime | None = None, until: dt.datetime | None = None) -> Select:
    """Entries in these communities (None: everywhere, including platform-level entries)."""
    query = select(AuditEntry)
    if community_ids is not None:
        query = query.where(AuditEntry.community_id.in_(community_ids))
    if action:
        # "volunteer" matches every volunteer.* action; "volunteer.update" just that one.
        query = query.where(AuditEntry.action.like(f"{action}.%") | (AuditEntry.action == action))
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if actor_user_id is not None:
        query = query.where(AuditEntry.actor_user_id == actor_user_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query


async def page(session: AsyncSession, query: Select, *, limit: int, offset: int) -> tuple[list[AuditEntry], int]:
    total = int(await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    rows = (await session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                  .limit(limit).offset(offset))).all()
    return list(rows), total
