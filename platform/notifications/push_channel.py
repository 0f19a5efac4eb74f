"""Web Push: browsers subscribe for their user, and each message is queued once per (event, user) for the worker.

The key the browser needs (`applicationServerKey`) is the public half of this install's VAPID key (config.py,
keyring.py). A message goes to every live subscription of the user when it is sent (push_sender.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from urllib.parse import urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.config import Settings
from servicebank.kernel.db import affected_rows
from servicebank.kernel.errors import InvalidInput
from servicebank.notifications import preferences
from servicebank.notifications.channels import Message, Recipient
from servicebank.notifications.models import ChannelDelivery, PushSubscription

PUSH = "push"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key(settings: Settings) -> str | None:
    """The VAPID public key as the browser wants it (uncompressed point, base64url); None when push is off."""
    if not settings.vapid_private_key:
        return None
    key = serialization.load_pem_private_key(settings.vapid_private_key.encode(), password=None)
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def endpoint_allowed(endpoint: str, *, production: bool) -> bool:
    """Production pushes only to https addresses on public hosts: the worker POSTs to whatever a subscription
    names, so an address inside the network would let anyone with a login make it call internal services.
    Embedded mode also accepts a loopback push service (the tests run one)."""
    parsed = urlparse(endpoint)
    host = parsed.hostname or ""
    try:
        internal = not ipaddress.ip_address(host).is_global
    except ValueError:
        internal = host == "localhost" or host.endswith((".local", ".internal", ".lan"))
    if production:
        return parsed.scheme == "https" and bool(host) and not internal
    return (parsed.scheme == "https" and bool(host)) or (parsed.scheme == "http" and host == "127.0.0.1")


async def subscribe(session: AsyncSession, *, settings: Settings, user_id: int, endpoint: str, p256dh: str,
                    auth: str) -> PushSubscription:
    """Keep (or move to this user, or revive) the browser's subscription."""
    if not endpoint_allowed(endpoint, production=settings.is_production) or len(endpoint) > 1000:
        raise InvalidInput("A push subscription's endpoint must be an https address of a push service.",
                           code="push_subscription_invalid")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64url_bytes(p256dh))
        valid = len(_b64url_bytes(auth)) == 16
    except ValueError:  # not base64url, or not a point on the curve: nothing could ever be encrypted for it
        valid = False
    if not valid:
        raise InvalidInput("The subscription's keys are not a P-256 key and a 16-byte secret.",
                           code="push_subscription_invalid")
    row = await session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if row is None:
        row = PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth,
                               created_at=dt.datetime.now(dt.UTC))
        session.add(row)
    else:
        row.user_id, row.p256dh, row.auth, row.gone_at = user_id, p256dh, auth, None
    await session.flush()
    return row


async def unsubscribe(session: AsyncSession, *, user_id: int, endpoint: str) -> bool:
    """Stop pushing to this browser; False when it was not the user's."""
    result = await session.execute(update(PushSubscription).where(
        PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint,
        PushSubscription.gone_at.is_(None)).values(gone_at=dt.datetime.now(dt.UTC)))
    return bool(affected_rows(result))


class PushChannel:
    name = PUSH

    def enabled(self, settings: Settings) -> bool:
        return settings.vapid_private_key is not None

    async def deliver(self, session: AsyncSession, *, settings: Settings, event_id: int, recipient: Recipient,
                      message: Message) -> None:
        if not await preferences.has_push(session, recipient.user_id):
            return
        if not await preferences.wants(session, user_id=recipient.user_id, kind=message.type, channel=self.name):
            return
        exists = await session.scalar(select(ChannelDelivery.id).where(
            ChannelDelivery.source_event_id == event_id, ChannelDelivery.channel == self.name,
            ChannelDelivery.recipient == recipient.key))
        if exists is not None:
            return
        url = "/activities" if message.activity_id else "/me"
        now = dt.datetime.now(dt.UTC)
        session.add(ChannelDelivery(
            source_event_id=event_id, channel=self.name, recipient=recipient.key, user_id=recipient.user_id,
            volunteer_id=recipient.volunteer_id, kind=message.type, address=f"user:{recipient.user_id}",
            template_id=message.type[:64], params={"title": message.title, "body": message.body, "url": url},
            not_before=now, created_at=now))
        await session.flush()
