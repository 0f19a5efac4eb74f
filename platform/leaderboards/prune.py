"""Deleting from Redis the monthly boards (and their version hashes) of months it no longer keeps.

Run by the scheduler (leaderboards/tasks.py) and by `servicebank leaderboards prune`. Reads of those
months already go to SQL from the first day they age out (repository.read_board decides by the
calendar, not by whether the keys still exist), so a prune that runs late only wastes memory a while.
"""

from __future__ import annotations

from typing import Any

from servicebank.config import Settings
from servicebank.leaderboards.push import KEY_PREFIX, VERSION_PREFIX, sync_client
from servicebank.leaderboards.retention import kept_in_redis, oldest_kept_month

_MONTH = "[0-9][0-9][0-9][0-9]-[0-9][0-9]"


def aged_keys(client: Any, oldest: str) -> list[str]:
    """The monthly board and version keys of months before `oldest` (UNLINK splits them per slot on a cluster)."""
    aged = []
    # Version hashes are one per month on one Redis, one per month and scope on a cluster (cluster.py).
    for pattern, prefix in ((f"{KEY_PREFIX}{_MONTH}:*", KEY_PREFIX), (f"{VERSION_PREFIX}{_MONTH}", VERSION_PREFIX),
                            (f"{VERSION_PREFIX}{_MONTH}:*", VERSION_PREFIX)):
        for raw in client.scan_iter(match=pattern, count=1000):
            key = raw.decode()
            if not kept_in_redis(key[len(prefix):len(prefix) + 7], oldest):
                aged.append(key)
    return aged


def prune_aged_months(settings: Settings) -> int:
    """UNLINK (freed in the background, not in Redis's one thread) every aged monthly key; returns how many."""
    if not settings.redis_url:
        return 0
    client = sync_client(settings.redis_url)
    keys = aged_keys(client, oldest_kept_month(settings))
    for start in range(0, len(keys), 500):
        client.unlink(*keys[start:start + 500])
    return len(keys)
