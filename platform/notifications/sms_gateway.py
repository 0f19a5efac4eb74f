"""Where a text message goes: the `log` provider (embedded default) or a signed-HTTP gateway.

The gateway scheme (`hmac-sha256`) signs both ways with the shared secret: every request carries
X-Sms-Key (our account id), X-Sms-Timestamp (Unix seconds), X-Sms-Nonce (random) and X-Sms-Signature, the
lowercase hex HMAC-SHA256 of `timestamp + "\\n" + nonce + "\\n" + body`. The gateway's delivery reports and
replies come back signed the same way (sms_callbacks.py). docs/notifications.md describes the wire format.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Protocol

import httpx

from servicebank.checkins.proxy_lookup import mask_phone
from servicebank.sms_settings import GATEWAY, SmsSettings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


@dataclasses.dataclass(frozen=True)
class SmsRequest:
    """One templated text: our reference (the delivery id, which the gateway echoes in reports), never free text."""

    ref: str
    phone: str
    template_id: str
    params: Mapping[str, str]
    sign_name: str | None = None


@dataclasses.dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_ref: str | None = None
    error: str | None = None
    # False when sending again cannot help (the gateway refused the number or the template).
    retry: bool = True


class SmsProvider(Protocol):
    async def send(self, request: SmsRequest) -> SendResult: ...


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}\n{nonce}\n".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(key: str, secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The headers that sign `body` for the gateway (and that the gateway sends us)."""
    timestamp, nonce = str(int(now if now is not None else time.time())), secrets.token_hex(16)
    return {"X-Sms-Key": key, "X-Sms-Timestamp": timestamp, "X-Sms-Nonce": nonce,
            "X-Sms-Signature": signature(secret, timestamp, nonce, body), "Content-Type": "application/json"}


def verify(headers: Mapping[str, str], body: bytes, *, key: str, secret: str, max_skew_seconds: int,
           now: float | None = None) -> bool:
    """Whether the request was signed with our secret, for our account, recently."""
    timestamp, nonce = headers.get("x-sms-timestamp", ""), headers.get("x-sms-nonce", "")
    sent = headers.get("x-sms-signature", "")
    if not timestamp.isdigit() or not nonce or not sent:
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > max_skew_seconds:
        return False
    same_key = hmac.compare_digest(headers.get("x-sms-key", ""), key)
    return hmac.compare_digest(sent, signature(secret, timestamp, nonce, body)) and same_key


class LogProvider:
    """Embedded default: the text is written to the log (the person reads the same message in their inbox)."""

    async def send(self, request: SmsRequest) -> SendResult:
        log.info("SMS (log provider) to %s: template %s %s", mask_phone(request.phone), request.template_id,
                 json.dumps(dict(request.params), ensure_ascii=False))
        return SendResult(ok=True, provider_ref=f"log-{request.ref}")


class GatewayProvider:
    """POST the template id and parameters as signed JSON to settings.sms.gateway_url.

    2xx: taken (the answer's `message_id` is kept). 4xx except 408/429: refused for good. Anything else,
    or no answer: tried again later. The `ref` lets the gateway drop a repeat of a message it already took."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    async def send(self, request: SmsRequest) -> SendResult:
        s = self.settings
        body = json.dumps({"ref": request.ref, "phone": request.phone, "template_id": request.template_id,
                           "params": dict(request.params), "sign_name": request.sign_name},
                          ensure_ascii=False, separators=(",", ":")).encode()
        headers = signed_headers(s.gateway_key or "", s.gateway_secret or "", body)
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                response = await client.post(s.gateway_url or "", content=body, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:1000])
        if response.is_success:
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            ref = answer.get("message_id") if isinstance(answer, dict) else None
            return SendResult(ok=True, provider_ref=str(ref)[:100] if ref is not None else None)
        error = f"HTTP {response.status_code}: {response.text[:900]}"
        retry = response.status_code >= 500 or response.status_code in {408, 429}
        return SendResult(ok=False, error=error, retry=retry)


def provider_for(settings: SmsSettings) -> SmsProvider:
    return GatewayProvider(settings) if settings.provider == GATEWAY else LogProvider()
