"""Inbox and preference shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec


class SentBy(msgspec.Struct):
    """Another channel the message went through: "sms" or "email", and its status (pending, sent, delivered…)."""

    channel: str
    status: str


class NotificationOut(msgspec.Struct):
    id: int
    type: str
    title: str
    body: str
    activity_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    sent_by: list[SentBy] = []


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    unread_count: int


class ReadAllOut(msgspec.Struct):
    marked: int


class PreferencesIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    email_enabled: bool = False


class PreferencesOut(msgspec.Struct):
    email: str | None
    email_enabled: bool
