"""A push service on 127.0.0.1 standing in for a browser vendor's: it checks the VAPID signature (RFC 8292) and
decrypts each message with the subscription's own private key and auth secret (RFC 8291), as the browser would."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """One subscribed browser: its endpoint and the keys only it holds."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self) -> dict[str, Any]:
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


def vapid_claims(authorization: str, audience: str) -> tuple[dict[str, Any], str]:
    """The JWT's claims and the signer's public key (k), after checking the ES256 signature; raises when wrong."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    token, k = parts["t"], parts["k"]
    head, body, sig = token.split(".")
    raw = unb64url(sig)
    signature = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(k))
    public.verify(signature, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64url(body))
    assert claims["aud"] == audience and claims["exp"] > time.time() and claims["sub"]
    return claims, k


class FakePushService:
    def __init__(self) -> None:
        self.origin = ""
        self.browsers: dict[str, Browser] = {}
        self.received: list[dict[str, Any]] = []  # {"endpoint", "payload", "k", "ttl", "claims"}
        self.gone: set[str] = set()
        self.rejected: list[str] = []

    def browser(self) -> Browser:
        found = Browser(f"{self.origin}/push/{len(self.browsers) + 1}")
        self.browsers[found.endpoint] = found
        return found

    def handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint = service.origin + self.path
                if endpoint in service.gone:
                    self._answer(410)
                    return
                try:
                    claims, k = vapid_claims(self.headers.get("Authorization", ""), service.origin)
                    browser = service.browsers[endpoint]
                    assert self.headers.get("Content-Encoding") == "aes128gcm"
                    plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth,
                                             version="aes128gcm")
                except Exception as exc:  # noqa: BLE001 - whatever is wrong, the push service refuses
                    service.rejected.append(f"{type(exc).__name__}: {exc}")
                    self._answer(400)
                    return
                service.received.append({"endpoint": endpoint, "payload": json.loads(plain), "k": k,
                                         "ttl": int(self.headers.get("TTL") or 0), "claims": claims})
                self._answer(201)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
                pass

        return Handler


@contextmanager
def running_push_service() -> Iterator[FakePushService]:
    service = FakePushService()
    server = ThreadingHTTPServer(("127.0.0.1", 0), service.handler())
    service.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
