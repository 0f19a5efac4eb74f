"""The inbox of the logged-in user and their delivery preferences."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.notifications import repository as repo
from servicebank.notifications.channels import EMAIL
from servicebank.notifications.models import Notification, NotificationPreference


async def inbox(session: AsyncSession, *, principal: Principal, unread_only: bool, limit: int,
                before_id: int | None) -> tuple[list[Notification], int]:
    """Newest first, paged by id; with the unread count."""
    rows = await repo.inbox_page(session, principal, unread_only=unread_only, limit=max(1, min(limit, 200)),
                                 before_id=before_id)
    return rows, await repo.unread_count(session, principal)


async def sent_by(session: AsyncSession, rows: list[Notification]) -> dict[int, list[tuple[str, str]]]:
    """Per inbox message, where else it went and how that went: [(channel, status)], e.g. ("sms", "delivered")."""
    events = sorted({n.source_event_id for n in rows})
    if not events:
        return {}
    found: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for event_id, recipient, channel, status in await repo.deliveries(session, events):
        found.setdefault((event_id, recipient), []).append((channel, status))
    return {n.id: found.get((n.source_event_id, n.recipient), []) for n in rows}


async def mark_read(session: AsyncSession, *, principal: Principal, notification_id: int) -> Notification:
    """Mark one message read (repeating it changes nothing)."""
    row = await repo.one_of_mine(session, principal, notification_id)
    if row is None:
        raise NotFound("No such notification.", code="notification_not_found")
    if row.read_at is None:
        row.read_at = dt.datetime.now(dt.UTC)
        await session.flush()
    return row


async def mark_all_read(session: AsyncSession, *, principal: Principal) -> int:
    """Mark every unread message read; returns how many."""
    return await repo.mark_all_read(session, principal, at=dt.datetime.now(dt.UTC))


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
