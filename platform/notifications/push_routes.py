"""Web Push from the browser: the key to subscribe with, and (un)subscribing this browser for the caller."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import NotFound
from servicebank.notifications import push_channel


class PushKeyOut(msgspec.Struct):
    public_key: str


class SubscriptionKeys(msgspec.Struct):
    p256dh: str
    auth: str


class SubscriptionIn(msgspec.Struct):
    """What the browser's `PushSubscription.toJSON()` gives (expirationTime is ignored)."""

    endpoint: str
    keys: SubscriptionKeys
    expirationTime: int | None = None  # noqa: N815 - the browser's own field name


class EndpointIn(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: str


class SubscribedOut(msgspec.Struct):
    subscribed: bool


class PushController(Controller):
    path = "/api/notifications/push"
    tags = ["notifications"]

    @get("/key")
    async def key(self, request: Request) -> PushKeyOut:
        """The VAPID public key for `pushManager.subscribe({applicationServerKey})` (base64url)."""
        found = push_channel.public_key(request.app.state.settings)
        if found is None:
            raise NotFound("Push messages are not set up on this site.", code="push_not_configured")
        return PushKeyOut(public_key=found)

    @post("/subscriptions", status_code=200)
    async def subscribe(self, request: Request, data: SubscriptionIn, db_session: AsyncSession,
                        principal: Principal) -> SubscribedOut:
        """Push the caller's notices to this browser from now on."""
        await push_channel.subscribe(db_session, settings=request.app.state.settings, user_id=principal.user_id, endpoint=data.endpoint,
                                     p256dh=data.keys.p256dh, auth=data.keys.auth)
        return SubscribedOut(subscribed=True)

    @post("/unsubscribe", status_code=200)
    async def unsubscribe(self, data: EndpointIn, db_session: AsyncSession, principal: Principal) -> SubscribedOut:
        """Stop pushing to this browser."""
        await push_channel.unsubscribe(db_session, user_id=principal.user_id, endpoint=data.endpoint)
        return SubscribedOut(subscribed=False)
