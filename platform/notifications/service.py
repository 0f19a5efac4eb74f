"""The inbox of the logged-in user and their delivery preferences."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.db import affected_rows
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.notifications.channels import EMAIL
from servicebank.notifications.models import ChannelDelivery, EmailMessage, Notification, NotificationPreference


def _mine(principal: Principal) -> ColumnElement[bool]:
    # Messages queued for the volunteer before they had a login belong to them too.
    clauses = [Notification.user_id == principal.user_id]
    if principal.volunteer_id is not None:
        clauses.append(and_(Notification.user_id.is_(None), Notification.volunteer_id == principal.volunteer_id))
    return or_(*clauses)


async def inbox(session: AsyncSession, *, principal: Principal, unread_only: bool, limit: int,
                before_id: int | None) -> tuple[list[Notification], int]:
    """Newest first, paged by id; with the unread count."""
    query = select(Notification).where(_mine(principal))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = list((await session.scalars(query.order_by(Notification.id.desc()).limit(max(1, min(limit, 200))))).all())
    unread = int(await session.scalar(select(func.count(Notification.id)).where(
        _mine(principal), Notification.read_at.is_(None))) or 0)
    return rows, unread


async def sent_by(session: AsyncSession, rows: list[Notification]) -> dict[int, list[tuple[str, str]]]:
    """Per inbox message, where else it went and how that went: [(channel, status)], e.g. ("sms", "delivered")."""
    events = sorted({n.source_event_id for n in rows})
    if not events:
        return {}
    found: dict[tuple[int, str], list[tuple[str, str]]] = {}
    texts = await session.execute(select(ChannelDelivery.source_event_id, ChannelDelivery.recipient,
                                         ChannelDelivery.channel, ChannelDelivery.status)
                                  .where(ChannelDelivery.source_event_id.in_(events)).order_by(ChannelDelivery.id))
    mails = await session.execute(select(EmailMessage.source_event_id, EmailMessage.recipient, EmailMessage.status)
                                  .where(EmailMessage.source_event_id.in_(events)))
    for event_id, recipient, status in mails.all():
        found.setdefault((event_id, recipient), []).append(("email", status))
    for event_id, recipient, channel, status in texts.all():
        found.setdefault((event_id, recipient), []).append((channel, status))
    return {n.id: found.get((n.source_event_id, n.recipient), []) for n in rows}


async def mark_read(session: AsyncSession, *, principal: Principal, notification_id: int) -> Notification:
    """Mark one message read (repeating it changes nothing)."""
    row = await session.scalar(select(Notification).where(Notification.id == notification_id, _mine(principal)))
    if row is None:
        raise NotFound("No such notification.", code="notification_not_found")
    if row.read_at is None:
        row.read_at = dt.datetime.now(dt.UTC)
        await session.flush()
    return row


async def mark_all_read(session: AsyncSession, *, principal: Principal) -> int:
    """Mark every unread message read; returns how many."""
    result = await session.execute(update(Notification).where(_mine(principal), Notification.read_at.is_(None))
                                   .values(read_at=dt.datetime.now(dt.UTC)).execution_options(synchronize_session=False))
    return affected_rows(result)


async def get_preferences(session: AsyncSession, *, user_id: int) -> NotificationPreference:
    """The user's preferences (defaults when never set)."""
    return await session.get(NotificationPreference, user_id) or NotificationPreference(
        user_id=user_id, email=None, email_enabled=False)


async def set_preferences(session: AsyncSession, *, user_id: int, email: str | None,
                          email_enabled: bool) -> NotificationPreference:
    """Save the e-mail address and whether to use it."""
    email = (email or "").strip() or None
    if email is not None and not EMAIL.match(email):
        raise InvalidInput("That e-mail address does not look right.", code="invalid_email")
    if email_enabled and email is None:
        raise InvalidInput("Give an e-mail address to turn e-mail notifications on.", code="email_required")
    pref = await session.get(NotificationPreference, user_id)
    if pref is None:
        pref = NotificationPreference(user_id=user_id)
        session.add(pref)
    pref.email, pref.email_enabled, pref.updated_at = email, email_enabled, dt.datetime.now(dt.UTC)
    await session.flush()
    return pref
