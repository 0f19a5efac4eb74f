"""The in-app inbox, people's delivery preferences, e-mails waiting to be sent, and text messages with their
per-phone counters and opt-outs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base, PlainBase


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


class DeliveryStatus:
    PENDING = "pending"  # waiting for its time (quiet hours, a per-phone limit, a retry) or the next sender run
    SENT = "sent"  # the gateway took it
    DELIVERED = "delivered"  # the gateway reported it reached the phone
    UNDELIVERED = "undelivered"  # the gateway reported it could not reach the phone
    FAILED = "failed"  # refused by the gateway, or gave up after the last retry
    SKIPPED = "skipped"  # the number opted out (退订) before it was sent


class ChannelDelivery(Base):
    """One message to one person on a channel besides the inbox and e-mail (SMS): exactly one per (source event,
    channel, recipient), written in the event's transaction and sent by the worker."""

    __tablename__ = "channel_delivery"
    __table_args__ = (
        UniqueConstraint("source_event_id", "channel", "recipient"),
        Index("ix_channel_delivery_due", "channel", "status", "not_before", "id"),
    )

    source_event_id: Mapped[int] = mapped_column()
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"), default=None)
    kind: Mapped[str] = mapped_column(String(80))
    # The phone number the message goes to, as it was when the event was handled.
    address: Mapped[str] = mapped_column(String(254))
    template_id: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    not_before: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    # The gateway's own id of the message (its delivery reports name ours, this is kept for support).
    provider_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    status_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class ChannelChoice(PlainBase):
    """A person's own choice for one kind of message on one channel; without a row the defaults apply
    (notifications/preferences.py)."""

    __tablename__ = "notification_channel_choice"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(80), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class SmsOptOut(PlainBase):
    """A number that asked for no more texts (退订): by replying to one, or on their page. Honoured for every
    kind until they turn texts on again."""

    __tablename__ = "sms_opt_out"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # "reply" or "page"
    opted_out_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)


class SmsRateCount(PlainBase):
    """Texts sent to one number in one window (minute, hour, day): counted with one atomic upsert per window, so
    two senders at once cannot both take the last slot."""

    __tablename__ = "sms_rate_count"
    __table_args__ = (Index("ix_sms_rate_count_window_start", "window_start"),)

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    window: Mapped[str] = mapped_column(String(8), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class PushSubscription(Base):
    """A browser that accepted push messages for a user: where to send (the push service's endpoint) and the keys
    that encrypt for it (RFC 8291). `gone_at` is set when the push service says the subscription ended."""

    __tablename__ = "push_subscription"
    __table_args__ = (Index("ix_push_subscription_user", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
    gone_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class OrganiserNotice(Base):
    """A templated notice an organiser (or a team's leader) sent to a team's members or an activity's volunteers;
    the `notice.sent` event in the same transaction delivers it, once per person and channel (notices.py)."""

    __tablename__ = "organiser_notice"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    template: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), default=None)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"), default=None)
    # Whom it names ("党员先锋队", "楼道清洁 12月07日"): the words the message opens with.
    scope_name: Mapped[str] = mapped_column(String(100))
    sent_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)
