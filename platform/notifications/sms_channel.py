"""The SMS channel: in the event's transaction, queue one templated text per (event, recipient) for the worker.

Only kinds with a template (sms_settings.SMS_KINDS) are texted, only to a mobile number that did not opt out, and
only when the person wants that kind by text (preferences.py). Inside quiet hours a text that is not urgent is
queued for the morning. The inbox gets the same message whatever happens here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.config import Settings
from servicebank.notifications import preferences
from servicebank.notifications.channels import Message, Recipient
from servicebank.notifications.models import ChannelDelivery
from servicebank.notifications.sms_limits import quiet_until
from servicebank.sms_settings import SMS_KINDS, URGENT_KINDS

# A carrier refuses a template variable longer than this (and may hold the whole text for review).
MAX_PARAM_CHARS = 35


def template_params(kind: str, params: dict[str, str] | None) -> dict[str, str] | None:
    """The kind's template values, each within the carrier's length; None when the message cannot be texted."""
    names = SMS_KINDS.get(kind)
    if names is None or params is None or any(n not in params for n in names):
        return None
    return {n: str(params[n])[:MAX_PARAM_CHARS] for n in names}


class SmsChannel:
    name = preferences.SMS

    def enabled(self, settings: Settings) -> bool:
        return True

    async def deliver(self, session: AsyncSession, *, settings: Settings, event_id: int, recipient: Recipient,
                      message: Message) -> None:
        params = template_params(message.type, dict(message.params) if message.params is not None else None)
        template_id = settings.sms.template_for(message.type)
        if params is None or template_id is None:
            return
        if not await preferences.wants(session, user_id=recipient.user_id, kind=message.type, channel=self.name):
            return
        phone = await preferences.phone_of(session, user_id=recipient.user_id, volunteer_id=recipient.volunteer_id)
        if phone is None or await preferences.opted_out(session, phone):
            return
        exists = await session.scalar(select(ChannelDelivery.id).where(
            ChannelDelivery.source_event_id == event_id, ChannelDelivery.channel == self.name,
            ChannelDelivery.recipient == recipient.key))
        if exists is not None:
            return
        now = dt.datetime.now(dt.UTC)
        urgent = message.type in URGENT_KINDS
        later = None if urgent else quiet_until(now, settings.sms, settings.timezone)
        session.add(ChannelDelivery(
            source_event_id=event_id, channel=self.name, recipient=recipient.key, user_id=recipient.user_id,
            volunteer_id=recipient.volunteer_id, kind=message.type, address=phone, template_id=template_id,
            params=params, urgent=urgent, not_before=later or now, created_at=now))
        await session.flush()
