"""Reading the audit log: organisers for their community, street admins for their street, admins for all."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit import service
from servicebank.audit.schemas import AuditEntryOut, AuditPage


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit"]

    @get("/")
    async def list_entries(
        self, db_session: AsyncSession, principal: Principal,
        community_id: Annotated[int | None, Parameter(description="One community; default: all you manage")] = None,
        action: Annotated[str | None, Parameter(description="e.g. volunteer (all volunteer.*) or volunteer.update")
                          ] = None,
        entity_type: Annotated[str | None, Parameter(description="e.g. volunteer, team, community")] = None,
        entity_id: str | None = None,
        actor_user_id: int | None = None,
        since: Annotated[dt.datetime | None, Parameter(description="ISO time, inclusive")] = None,
        until: Annotated[dt.datetime | None, Parameter(description="ISO time, exclusive")] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> AuditPage:
        """Who changed what, when, with the record before and after; newest first. Organisers see their
        community, street admins the street's communities, platform admins everything (also platform-level
        entries). Secrets (password hashes, encrypted ID numbers) are never in the log."""
        rows, total = await service.entries_page(
            db_session, principal=principal, community_id=community_id, limit=limit, offset=offset, action=action,
            entity_type=entity_type, entity_id=entity_id, actor_user_id=actor_user_id, since=_aware(since),
            until=_aware(until))
        return AuditPage(items=[AuditEntryOut(
            id=e.id, at=e.at, actor_user_id=e.actor_user_id, actor_name=e.actor_name, community_id=e.community_id,
            action=e.action, entity_type=e.entity_type, entity_id=e.entity_id, before=e.before, after=e.after,
            reason=e.reason) for e in rows], total=total, limit=limit, offset=offset)


ROUTES = [AuditController]
