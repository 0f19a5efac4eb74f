"""The audit log: every write by an official, with before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuditEntry(Base):
    """Who did what to which record, when, and how it looked before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_community_at", "community_id", "at"),)

    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    actor_name: Mapped[str | None] = mapped_column(String(64), default=None)
    community_id: Mapped[int | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(64))  # e.g. "volunteer.update", "attendance.adjust"
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40), default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
