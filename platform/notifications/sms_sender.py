"""Send the texts the SMS channel queued: due ones, oldest first, each once.

Rows are claimed with FOR UPDATE SKIP LOCKED (PostgreSQL), so two workers never send the same text; the delivery
id travels as `ref` so a gateway can drop a repeat after a crash between its answer and our commit. A failed send
waits 1, 2, 4… minutes and is given up after MAX_SMS_ATTEMPTS; a refusal (4xx) is final.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from servicebank.config import Settings
from servicebank.kernel.db import Database
from servicebank.kernel.dialect import is_postgres
from servicebank.notifications import preferences
from servicebank.notifications.models import ChannelDelivery, DeliveryStatus
from servicebank.notifications.sms_codes import BLANKED
from servicebank.notifications.sms_gateway import SmsProvider, SmsRequest, provider_for
from servicebank.notifications.sms_limits import forget_old_counts, quiet_until, take_slot
from servicebank.sms_settings import CODE_KIND

MAX_SMS_ATTEMPTS = 8
BATCH = 50


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** (attempts - 1), 60))


async def send_due_sms(db: Database, settings: Settings, *, now: dt.datetime | None = None,
                       provider: SmsProvider | None = None) -> int:
    """Send one batch of due texts; returns how many the provider took."""
    now = now or dt.datetime.now(dt.UTC)
    provider = provider or provider_for(settings.sms)
    async with db.session_scope() as session:
        query = (select(ChannelDelivery)
                 .where(ChannelDelivery.channel == preferences.SMS, ChannelDelivery.status == DeliveryStatus.PENDING,
                        ChannelDelivery.not_before <= now)
                 .order_by(ChannelDelivery.id).limit(BATCH))
        if is_postgres(db):
            query = query.with_for_update(skip_locked=True)
        rows = list((await session.scalars(query)).all())
        sent = 0
        for row in rows:
            code = row.kind == CODE_KIND  # asked for just now: no 退订, no quiet hours, its own limits (sms_codes.py)
            if code and now >= row.created_at + dt.timedelta(minutes=int(row.params.get("minutes") or 5)):
                # The code has expired: a late text would only confuse (the person asks for a new one).
                row.status, row.status_at, row.last_error, row.params = DeliveryStatus.FAILED, now, "expired", BLANKED
                continue
            if not code and await preferences.opted_out(session, row.address):
                row.status, row.status_at, row.last_error = DeliveryStatus.SKIPPED, now, "opted_out"
                continue
            # A retry or a limit can push a text into the night: it waits for the morning like a new one.
            quiet = None if row.urgent else quiet_until(now, settings.sms, settings.timezone)
            if quiet is not None:
                row.not_before, row.last_error = quiet, "quiet_hours"
                continue
            full_until = None if code else await take_slot(session, phone=row.address, now=now, sms=settings.sms,
                                         timezone=settings.timezone)
            if full_until is not None:
                row.not_before, row.last_error = full_until, "rate_limited"
                continue
            result = await provider.send(SmsRequest(ref=str(row.id), phone=row.address, template_id=row.template_id,
                                                    params=row.params, sign_name=settings.sms.sign_name))
            row.attempts += 1
            if code and (result.ok or not result.retry or row.attempts >= MAX_SMS_ATTEMPTS):
                row.params = BLANKED  # the plain code lives only until the gateway has it
            if result.ok:
                row.status, row.sent_at, row.status_at = DeliveryStatus.SENT, now, now
                row.provider_ref, row.last_error = result.provider_ref, None
                sent += 1
                continue
            row.last_error = result.error
            if not result.retry or row.attempts >= MAX_SMS_ATTEMPTS:
                row.status, row.status_at = DeliveryStatus.FAILED, now
            else:
                row.not_before = now + _backoff(row.attempts)
        await forget_old_counts(session, now=now)
        return sent
