"""ASGI middleware around the whole app: a request id on every request, response and log line; one
access log line and the rate and latency metrics per request, by route template (never the raw
path, which may carry a check-in token or a calendar-feed key)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from servicebank.observability import metrics
from servicebank.observability.logs import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("servicebank.access")


def request_id_and_metrics(app: ASGIApp) -> ASGIApp:
    """Wrap the app: honour or create X-Request-ID, time the request, count and log it by route template.

    Wrap Litestar's outermost handler (not a route middleware), so that requests no route matches
    (404, 405) are counted and logged too."""

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
            seconds = time.perf_counter() - started
            method = scope.get("method", "GET")
            route = scope.get("path_template") or "unmatched"
            metrics.observe_request(str(method), str(route), status, seconds)
            duration_ms = round(seconds * 1000, 1)
            access_log.info("%s %s %s %sms", method, route, status, duration_ms, extra={
                "method": method, "route": route, "status": status, "duration_ms": duration_ms})
        # Reset only on success: an exception escaping to the server is logged there, in this same
        # task, and its traceback line should still carry the request id.
        request_id_var.reset(token)

    return middleware
