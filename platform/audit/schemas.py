"""The audit log as the API shows it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class AuditEntryOut(msgspec.Struct):
    id: int
    at: dt.datetime
    actor_user_id: int | None
    actor_name: str | None
    community_id: int | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class AuditPage(msgspec.Struct):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int
