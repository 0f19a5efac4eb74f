"""Who may read which audit entries: the one place the API and the audit page ask.

Organisers read their community's entries, street admins the entries of their street's communities, platform
admins everything (platform-level entries too); anyone else is refused."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select

from servicebank.accounts.principal import Principal
from servicebank.audit import repository
from servicebank.kernel.errors import Forbidden


def readable_community_ids(principal: Principal, community_id: int | None = None) -> frozenset[int] | None:
    """The communities whose entries the caller may read (None: everywhere): one asked for, else all they manage."""
    if community_id is not None:
        principal.require_manager(community_id)
        return frozenset({community_id})
    scope = principal.managed_community_ids
    if scope is not None and not scope:
        raise Forbidden("Only organisers and administrators can read the audit log.", code="organiser_required")
    return scope


def readable_statement(principal: Principal, *, community_id: int | None = None, action: str | None = None,
                       entity_type: str | None = None, entity_id: str | None = None,
                       actor_user_id: int | None = None, since: dt.datetime | None = None,
                       until: dt.datetime | None = None) -> Select:
    """The entries the caller may read, narrowed by the filters."""
    return repository.entries_query(community_ids=readable_community_ids(principal, community_id), action=action,
                                    entity_type=entity_type, entity_id=entity_id, actor_user_id=actor_user_id,
                                    since=since, until=until)
