"""Is a request sent by one of our own pages? `Origin` (or `Sec-Fetch-Site`) against the site's own origin."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=512)
def normal_origin(url: str) -> str | None:
    """scheme://host[:port] in lower case without the default port, or None when `url` is not an origin.

    Kept for the few addresses a site is reached at: every form post and cookie-authenticated API write asks
    for its Origin and Host header, and parsing them was a tenth of the scan page's CSRF check."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port_part = "" if port in (None, DEFAULT_PORTS[parts.scheme]) else f":{port}"
    return f"{parts.scheme}://{host.lower()}{port_part}"


def own_origins(connection: Any) -> frozenset[str]:
    """The configured public address and the address this request was sent to (scheme and Host header).

    Another port of the same host is another origin: in embedded mode any other service on the machine is
    "same-site" for the browser (cookies go along) but never same-origin.
    """
    return _origins(connection.app.state.settings.public_url, connection.scope.get("scheme", "http"),
                    connection.headers.get("host"))


@lru_cache(maxsize=512)
def _origins(public_url: str, scheme: str, host: str | None) -> frozenset[str]:
    # Kept like normal_origin: a site is reached at a few addresses, and every form post asks.
    found = {normal_origin(public_url)}
    if host:
        found.add(normal_origin(f"{scheme}://{host}"))
    found.discard(None)
    return frozenset(found)  # type: ignore[arg-type]


def is_same_origin(connection: Any, *, required: bool) -> bool:
    """True when the browser says the request comes from our own origin.

    `Origin` decides when sent (a "null" origin is foreign); without it, `Sec-Fetch-Site: same-origin` does.
    With neither header (a script, an old browser) the answer is `not required`.
    """
    origin = connection.headers.get("origin")
    if origin is not None:
        return normal_origin(origin) in own_origins(connection)
    fetch_site = connection.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    return not required
