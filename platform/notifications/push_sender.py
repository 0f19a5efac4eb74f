"""Send the push messages the push channel queued, to every live subscription of their user.

Each payload is encrypted for the subscription's keys (RFC 8291, aes128gcm) and signed with this install's VAPID key
(RFC 8292) by pywebpush. A push service answering 404 or 410 ended the subscription: it is marked gone and never
used again. A message counts as sent once one browser took it; when none did and one may later, it is tried again
like a text (1, 2, 4… minutes, MAX_PUSH_ATTEMPTS).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from urllib.parse import urlparse

import requests
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import select

from servicebank.config import Settings
from servicebank.kernel.db import Database
from servicebank.kernel.dialect import is_postgres
from servicebank.notifications.models import ChannelDelivery, DeliveryStatus, PushSubscription
from servicebank.notifications.push_channel import PUSH

MAX_PUSH_ATTEMPTS = 8
BATCH = 50
# Kept by the push service for a phone that is off or out of signal: a day, then a reminder is no use.
TTL_SECONDS = 24 * 3600
GONE = {404, 410}


def _push(subscription: PushSubscription, payload: str, vapid: Vapid, subject: str) -> int | None:
    """POST one encrypted message; None when taken, else the push service's status (0: no answer)."""
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(info, data=payload, vapid_private_key=vapid, vapid_claims={"sub": subject}, ttl=TTL_SECONDS,
                timeout=10)
    except WebPushException as exc:
        return exc.response.status_code if exc.response is not None else 0
    except requests.RequestException:
        return 0
    except (ValueError, TypeError):  # keys nothing can be encrypted for: the subscription is of no use, like a 410
        return 410
    return None


def _subject(settings: Settings) -> str:
    return settings.vapid_subject or f"mailto:noreply@{urlparse(settings.public_url).hostname or 'localhost'}"


async def send_due_push(db: Database, settings: Settings, *, now: dt.datetime | None = None) -> int:
    """Send one batch of due push messages; returns how many reached at least one browser."""
    if not settings.vapid_private_key:
        return 0
    now = now or dt.datetime.now(dt.UTC)
    vapid = Vapid.from_pem(settings.vapid_private_key.encode())
    async with db.session_scope() as session:
        query = (select(ChannelDelivery)
                 .where(ChannelDelivery.channel == PUSH, ChannelDelivery.status == DeliveryStatus.PENDING,
                        ChannelDelivery.not_before <= now)
                 .order_by(ChannelDelivery.id).limit(BATCH))
        if is_postgres(db):
            query = query.with_for_update(skip_locked=True)
        sent = 0
        for row in list((await session.scalars(query)).all()):
            subscriptions = (await session.scalars(select(PushSubscription).where(
                PushSubscription.user_id == row.user_id, PushSubscription.gone_at.is_(None))
                .order_by(PushSubscription.id))).all()
            payload = json.dumps({"kind": row.kind, **row.params}, ensure_ascii=False)
            results = [await asyncio.to_thread(_push, s, payload, vapid, _subject(settings)) for s in subscriptions]
            for subscription, status in zip(subscriptions, results, strict=True):
                if status in GONE:
                    subscription.gone_at = now
            row.attempts += 1
            if any(status is None for status in results):
                row.status, row.sent_at, row.status_at, row.last_error = DeliveryStatus.SENT, now, now, None
                sent += 1
                continue
            retryable = [s for s in results if s is not None and s not in GONE and (s == 0 or s >= 500 or s == 429)]
            row.last_error = f"push services answered {results}"[:1000] if results else "no live subscription"
            if not retryable or row.attempts >= MAX_PUSH_ATTEMPTS:
                row.status, row.status_at = DeliveryStatus.FAILED, now
            else:
                row.not_before = now + dt.timedelta(minutes=min(2 ** (row.attempts - 1), 60))
        return sent
