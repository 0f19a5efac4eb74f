"""Read-your-writes with a replica: whoever just wrote reads from the primary for a few seconds.

With a streaming replica configured (kernel/replica.py), an organiser who creates an activity and lands on the
dashboard must see it, even if the replica is a fraction of a second behind. Every answered write (POST, PUT,
PATCH, DELETE below 400) therefore sets a short cookie; reads carrying it go to the primary. Without a replica
nothing is added.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from servicebank.edge.middleware import UNSAFE
from servicebank.kernel.replica import STICKY_COOKIE


def stick_writers_to_primary(app: ASGIApp, *, seconds: int, secure: bool) -> ASGIApp:
    cookie = (f"{STICKY_COOKIE}=1; Max-Age={seconds}; Path=/; HttpOnly; SameSite=Lax"
              + ("; Secure" if secure else "")).encode("latin-1")

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in UNSAFE or seconds <= 0:
            await app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await app(scope, receive, send_with_cookie)

    return wrapped
