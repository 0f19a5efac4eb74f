"""Redis clients for one server or a Redis Cluster, chosen by the URL's scheme.

SERVICEBANK_REDIS_URL=redis://host:port/0 is one Redis; redis+cluster://host:port (rediss+cluster:// with
TLS) names any one node of a Redis Cluster, from which the client learns the others and which slots they
serve. The scheme, not a separate setting, says which: every process (API, workers, scheduler, CLI) reads
the same URL, so none can disagree with the others about where the keys are.

On a cluster a command or Lua script may only touch keys of one hash slot. Keys that are used together
carry the same hash tag, the part in {braces}: a leaderboard scope's boards (leaderboards/push.py), the
Dramatiq broker's namespace (workers/broker.py), one rate limit's counter.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def is_cluster_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in CLUSTER_SCHEMES


def check_url(url: str) -> str | None:
    """What is wrong with a Redis URL (None: nothing); a cluster has only database 0."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix", *CLUSTER_SCHEMES}:
        return (f"SERVICEBANK_REDIS_URL: unknown scheme {parts.scheme!r}; use redis://host:port/0 for one Redis or "
                "redis+cluster://host:port for a Redis Cluster (any one of its nodes)")
    if parts.scheme in CLUSTER_SCHEMES:
        if not parts.hostname or not parts.port:
            return "SERVICEBANK_REDIS_URL: a Redis Cluster URL names one node as redis+cluster://host:port"
        if parts.path.strip("/") not in ("", "0"):
            return "SERVICEBANK_REDIS_URL: a Redis Cluster has only database 0 (redis+cluster://host:port/0)"
    return None


def _node_url(url: str) -> str:
    """The cluster URL in the plain scheme redis-py's cluster client parses (database 0)."""
    parts = urlsplit(url)
    return parts._replace(scheme=CLUSTER_SCHEMES[parts.scheme], path="/0").geturl()


def node_url(url: str, host: str, port: int) -> str:
    """A plain URL of one master of the cluster `url` names, with the same credentials and TLS."""
    parts = urlsplit(_node_url(url))
    credentials = parts.netloc.rpartition("@")[0]
    return parts._replace(netloc=f"{credentials}@{host}:{port}" if credentials else f"{host}:{port}").geturl()


def sync_client(url: str, **options: Any) -> Any:
    """A synchronous client: redis.Redis, or redis.cluster.RedisCluster for a cluster URL."""
    if is_cluster_url(url):
        from redis.cluster import RedisCluster

        return RedisCluster.from_url(_node_url(url), **options)
    import redis

    return redis.Redis.from_url(url, **options)


def async_client(url: str, **options: Any) -> Any:
    """An asyncio client: redis.asyncio.Redis, or its RedisCluster for a cluster URL."""
    if is_cluster_url(url):
        from redis.asyncio.cluster import RedisCluster

        return RedisCluster.from_url(_node_url(url), **options)
    import redis.asyncio as aioredis

    return aioredis.from_url(url, **options)


_loop_clients: dict[tuple[str, int], Any] = {}


def loop_client(url: str) -> Any:
    """The asyncio client this event loop shares for `url` (an asyncio client is bound to the loop it first ran
    on): made once per loop, with a 5 s socket timeout so a Redis that stops answering fails the call."""
    key = (url, id(asyncio.get_running_loop()))
    client = _loop_clients.get(key)
    if client is None:
        client = _loop_clients[key] = async_client(url, socket_timeout=5)
    return client


def is_cluster(client: Any) -> bool:
    """Whether a client (sync or asyncio) talks to a Redis Cluster."""
    return hasattr(client, "get_node_from_key")
