"""Delivery channels. Every notification goes to each enabled channel; each channel is idempotent per
(source event, recipient). Add a channel with `register_channel` (the SMS channel is added by events.py)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.config import Settings
from servicebank.notifications import preferences, repository
from servicebank.notifications.models import EmailMessage, Notification, NotificationPreference

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclasses.dataclass(frozen=True)
class Recipient:
    volunteer_id: int | None
    user_id: int | None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id is not None else f"volunteer:{self.volunteer_id}"


@dataclasses.dataclass(frozen=True)
class Message:
    type: str
    title: str
    body: str
    activity_id: int | None = None
    # The values of the kind's SMS template (sms_settings.SMS_KINDS); a message without them is never texted.
    params: Mapping[str, str] | None = None


class Channel(Protocol):
    name: str

    def enabled(self, settings: Settings) -> bool: ...

    async def deliver(self, session: AsyncSession, *, settings: Settings, event_id: int, recipient: Recipient,
                      message: Message) -> None: ...


class InboxChannel:
    """The in-app inbox (GET /api/notifications): always on."""

    name = "inbox"

    def enabled(self, settings: Settings) -> bool:
        return True

    async def deliver(self, session: AsyncSession, *, settings: Settings, event_id: int, recipient: Recipient,
                      message: Message) -> None:
        if await repository.in_inbox(session, event_id=event_id, recipient=recipient.key):
            return
        session.add(Notification(source_event_id=event_id, recipient=recipient.key, user_id=recipient.user_id,
                                 volunteer_id=recipient.volunteer_id, type=message.type, title=message.title,
                                 body=message.body, activity_id=message.activity_id))
        await session.flush()


class EmailChannel:
    """E-mail through settings.smtp_url, for users who gave an address and turned e-mail on.

    The handler only queues the message; the `notifications.send_emails` actor sends it, so a slow mail
    server never holds up event dispatch."""

    name = "email"

    def enabled(self, settings: Settings) -> bool:
        return bool(settings.smtp_url)

    async def deliver(self, session: AsyncSession, *, settings: Settings, event_id: int, recipient: Recipient,
                      message: Message) -> None:
        if recipient.user_id is None:
            return
        pref = await session.get(NotificationPreference, recipient.user_id)
        if pref is None or not pref.email_enabled or not pref.email or not EMAIL.match(pref.email):
            return
        if not await preferences.wants(session, user_id=recipient.user_id, kind=message.type, channel="email"):
            return
        if await repository.e_mail_queued(session, event_id=event_id, recipient=recipient.key):
            return
        session.add(EmailMessage(source_event_id=event_id, recipient=recipient.key, to_address=pref.email,
                                 subject=message.title, body=message.body))
        await session.flush()


CHANNELS: list[Channel] = [InboxChannel(), EmailChannel()]


def register_channel(channel: Channel) -> None:
    """Add a delivery channel (once)."""
    if all(c.name != channel.name for c in CHANNELS):
        CHANNELS.append(channel)
