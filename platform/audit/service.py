"""Write audit entries next to the change they describe (same transaction); read them by who may."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit import access, repository
from servicebank.audit.models import AuditEntry

# Never copied into the audit log.
SECRET_FIELDS = frozenset({"password_hash", "id_number_encrypted", "id_number_digest", "token_hash"})


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(row: Any) -> dict[str, Any]:
    """The column values of an ORM row, without secrets, as JSON-safe data."""
    mapper = inspect(row).mapper
    return {c.key: _plain(getattr(row, c.key)) for c in mapper.column_attrs if c.key not in SECRET_FIELDS}


async def record_audit(session: AsyncSession, *, actor: Principal | None, action: str, entity_type: str,
                       entity_id: object = None, community_id: int | None = None,
                       before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                       reason: str | None = None) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(
        actor_user_id=actor.user_id if actor else None,
        actor_name=actor.display_name if actor else None,
        community_id=community_id,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        reason=reason,
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries_page(session: AsyncSession, *, principal: Principal, community_id: int | None = None,
                       limit: int, offset: int, **filters: Any) -> tuple[list[AuditEntry], int]:
    """A page of the entries the caller may read (audit/access.py), newest first, with how many match."""
    query = access.readable_statement(principal, community_id=community_id, **filters)
    return await repository.page(session, query, limit=limit, offset=offset)
