"""The inbox API: list, mark read, delivery preferences."""

from __future__ import annotations

from litestar import Controller, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.notifications import service
from servicebank.notifications.models import Notification
from servicebank.notifications.notice_routes import NoticeController
from servicebank.notifications.push_routes import PushController
from servicebank.notifications.schemas import (
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    ReadAllOut,
    SentBy,
)
from servicebank.notifications.sms_routes import ChannelChoiceController, SmsGatewayController


def _out(n: Notification, sent_by: list[tuple[str, str]] | None = None) -> NotificationOut:
    return NotificationOut(id=n.id, type=n.type, title=n.title, body=n.body, activity_id=n.activity_id,
                           created_at=n.created_at, read_at=n.read_at,
                           sent_by=[SentBy(channel=c, status=s) for c, s in sent_by or []])


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]

    @get("/")
    async def list_(self, db_session: AsyncSession, principal: Principal, unread_only: bool = False,
                    limit: int = 50, before_id: int | None = None) -> NotificationPage:
        """The caller's messages, newest first (page with `before_id`), and how many are unread; each says which
        other channels (text, e-mail) it went through and how that went."""
        rows, unread = await service.inbox(db_session, principal=principal, unread_only=unread_only, limit=limit,
                                           before_id=before_id)
        channels = await service.sent_by(db_session, rows)
        return NotificationPage(items=[_out(n, channels.get(n.id)) for n in rows], unread_count=unread)

    @post("/{notification_id:int}/read", status_code=200)
    async def read(self, notification_id: int, db_session: AsyncSession, principal: Principal) -> NotificationOut:
        """Mark one message read."""
        return _out(await service.mark_read(db_session, principal=principal, notification_id=notification_id))

    @post("/read-all", status_code=200)
    async def read_all(self, db_session: AsyncSession, principal: Principal) -> ReadAllOut:
        """Mark every message read."""
        return ReadAllOut(marked=await service.mark_all_read(db_session, principal=principal))

    @get("/preferences")
    async def preferences(self, db_session: AsyncSession, principal: Principal) -> PreferencesOut:
        """Where notifications go besides the inbox."""
        pref = await service.get_preferences(db_session, user_id=principal.user_id)
        return PreferencesOut(email=pref.email, email_enabled=pref.email_enabled)

    @put("/preferences")
    async def set_preferences(self, data: PreferencesIn, db_session: AsyncSession,
                              principal: Principal) -> PreferencesOut:
        """Give an e-mail address and turn e-mail notifications on or off."""
        pref = await service.set_preferences(db_session, user_id=principal.user_id, email=data.email,
                                             email_enabled=data.email_enabled)
        return PreferencesOut(email=pref.email, email_enabled=pref.email_enabled)


ROUTES = [NotificationController, SmsGatewayController, ChannelChoiceController, PushController, NoticeController]
