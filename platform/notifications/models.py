"""The in-app inbox, people's delivery preferences, and e-mails waiting to be sent."""

from __future__ import annotations

import datetime as dt

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.db import Base, PlainBase


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Notification(Base):
    """One inbox message: exactly one per source event and recipient."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("source_event_id", "recipient"),
        Index("ix_notification_user", "user_id", "read_at", "id"),
        Index("ix_notification_volunteer", "volunteer_id", "read_at", "id"),
    )

    source_event_id: Mapped[int] = mapped_column()
    # "user:<id>", or "volunteer:<id>" for a volunteer without a login yet (they see it once they get one).
    recipient: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"), default=None)
    type: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    activity_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class NotificationPreference(PlainBase):
    """Where else a user wants their notifications (the inbox always gets them)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    email_enabled: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class EmailStatus:
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_EMAIL_ATTEMPTS


class EmailMessage(Base):
    """An e-mail to send: written by the handler in the event's transaction, sent by the worker."""

    __tablename__ = "email_message"
    __table_args__ = (
        UniqueConstraint("source_event_id", "recipient"),
        Index("ix_email_message_pending", "status", "id"),
    )

    source_event_id: Mapped[int] = mapped_column()
    recipient: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
