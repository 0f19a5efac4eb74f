"""A fake SMS gateway: a real HTTP server on 127.0.0.1 that checks our signature the way a gateway would, records
what it received, and can be told to fail (5xx: try again; 4xx: refused for good)."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from servicebank.notifications.sms_gateway import signed_headers, verify
from servicebank.sms_settings import TEMPLATE_KINDS, SmsSettings

KEY, SECRET = "test-account", "gateway-secret-" + "s" * 24


class FakeGateway:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.refused_signatures = 0
        # Status codes to answer with, one per request, before answering 200 again.
        self.failures: list[int] = []
        self.url = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if not verify(headers, body, key=KEY, secret=SECRET, max_skew_seconds=60):
                    gateway.refused_signatures += 1
                    self._answer(401, {"error": "bad signature"})
                    return
                if gateway.failures:
                    self._answer(gateway.failures.pop(0), {"error": "told to fail"})
                    return
                message = json.loads(body)
                gateway.received.append(message)
                self._answer(200, {"message_id": f"gw-{len(gateway.received)}"})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
                pass

        return Handler


@contextmanager
def running_gateway() -> Iterator[FakeGateway]:
    gateway = FakeGateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), gateway.handler())
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


def gateway_call(payload: dict[str, Any], *, secret: str = SECRET, now: float | None = None) -> tuple[bytes, dict]:
    """A body and headers as the gateway signs its callbacks."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    return body, signed_headers(KEY, secret, body, now=now)


def gateway_sms(url: str, **changes: object) -> SmsSettings:
    """SMS settings that send through the fake gateway at `url`: a template id for every kind, no quiet hours."""
    base = SmsSettings(provider="gateway", gateway_url=url, gateway_key=KEY, gateway_secret=SECRET,
                       templates=tuple((kind, f"SMS_{n:04d}") for n, kind in enumerate(TEMPLATE_KINDS, start=1)),
                       quiet_hours="off")
    return dataclasses.replace(base.check(production=True), **changes)


# Fixtures for a test module that texts through the fake gateway: `from tests.notifications.fake_gateway import
# gateway, settings` (the module's `settings` then wraps the shared one).
@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with running_gateway() as found:
        yield found


@pytest.fixture
def settings(settings, gateway):  # noqa: ANN001, ANN201 - the shared settings, with the fake gateway
    return settings.replace(sms=gateway_sms(gateway.url))
