"""One-time codes by text: queued as a templated SMS (kind `otp.code`) beside the other texts, and sent at once.

The code's own row stands in for the event (source_event_id = the code's id, recipient `code:<id>`), because the
plain code must never reach the outbox or the inbox: it lives in the delivery row only until the gateway took it,
then the sender blanks it (sms_sender.py). A code is wanted now, so it ignores quiet hours, and 退订 (the person just
asked for it); its own limits per phone and address are taken when it is asked for (accounts/one_time_codes.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.config import Settings
from servicebank.kernel.errors import ServiceUnavailable
from servicebank.kernel.unit_of_work import AfterCommit, unit_of_work
from servicebank.notifications import preferences
from servicebank.notifications.models import ChannelDelivery
from servicebank.sms_settings import CODE_KIND

log = logging.getLogger(__name__)
BLANKED = {"code": "******"}


class SendTextsNow(AfterCommit):
    """After the commit, ask the worker to send due texts now instead of at its next 15-second run."""

    async def run(self) -> None:
        db = self.session.info.get("db")
        if not self.items or db is None or db.publisher is None:
            return
        try:
            from servicebank.notifications.tasks import send_sms

            send_sms.send()
        except Exception:  # noqa: BLE001 - the periodic run sends it anyway, a few seconds later
            log.warning("could not ask the worker to send a code now", exc_info=True)


async def queue_code_text(session: AsyncSession, *, settings: Settings, code_id: int, phone: str, code: str,
                          minutes: int) -> None:
    """Queue the text carrying `code` to `phone`, sent right after the caller's commit."""
    template_id = settings.sms.template_for(CODE_KIND)
    if template_id is None:  # refused at start for a gateway; the log provider always has one
        raise ServiceUnavailable("Texts cannot be sent here.", code="sms_unavailable")
    now = dt.datetime.now(dt.UTC)
    session.add(ChannelDelivery(
        source_event_id=code_id, channel=preferences.SMS, recipient=f"code:{code_id}", kind=CODE_KIND, address=phone,
        template_id=template_id, params={"code": code, "minutes": str(minutes)}, urgent=True, not_before=now,
        created_at=now))
    await session.flush()
    unit_of_work(session).step(SendTextsNow).note(code_id)
