"""The address of the person behind a request, also behind a reverse proxy we were told to trust."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in trusted)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_ip(connection: Any) -> str | None:
    """The peer address; behind a trusted proxy, the last X-Forwarded-For hop that no trusted proxy added.

    Only hops appended by our own proxies are believed: a client can put anything at the left of the
    header, so we walk from the right and stop at the first address we do not trust.
    """
    peer = connection.client.host if connection.client else None
    networks = _networks(tuple(connection.app.state.settings.trusted_proxies))
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in connection.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
