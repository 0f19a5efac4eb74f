"""ASGI middleware: a request id on every request and response, and per-route rate and latency."""

from __future__ import annotations

import re
import time
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from servicebank.observability import metrics
from servicebank.observability.logs import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_and_metrics(app: ASGIApp) -> ASGIApp:
    """Wrap the app: honour or create X-Request-ID, time the request, count it by route template."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex[:16]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            route = scope.get("path_template") or "unmatched"
            metrics.observe_request(scope.get("method", "GET"), route, status, time.perf_counter() - started)
            request_id_var.reset(token)

    return middleware
