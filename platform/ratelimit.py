"""Fixed-window rate limits shared by every process: Redis when configured, else in-process memory
(the embedded mode is a single process)."""

from __future__ import annotations

import time

from servicebank.clientip import client_ip
from servicebank.config import Settings
from servicebank.kernel import redis_clients
from servicebank.kernel.errors import TooManyRequests
from servicebank.kernel.kept import one_per

_DECR_IF_POSITIVE = "if tonumber(redis.call('get', KEYS[1]) or '0') > 0 then return redis.call('decr', KEYS[1]) end return 0"


class RateLimiter:
    """Counts hits per key and window; `hit()` refuses with 429 once the limit is passed."""

    def __init__(self, settings: Settings) -> None:
        self._redis = None
        if settings.redis_url:
            self._redis = redis_clients.async_client(settings.redis_url)
        self._memory: dict[str, tuple[int, int]] = {}
        self._gaps: dict[str, float] = {}  # spaced(): key -> the time the next one may go

    async def count(self, key: str, window_seconds: int) -> tuple[int, int]:
        """Add one hit; returns (hits in the current window, seconds until it resets)."""
        window = int(time.time()) // window_seconds
        reset = (window + 1) * window_seconds - int(time.time())
        bucket = f"sb:rl:{key}:{window}"
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline()
                pipe.incr(bucket)
                pipe.expire(bucket, window_seconds + 1)
                hits, _ = await pipe.execute()
                return int(hits), reset
            except Exception:  # noqa: BLE001 - Redis down must not stop check-ins; fall back to memory
                pass
        # No lock: nothing below awaits, so no other request can run in between.
        current_window, hits = self._memory.get(key, (window, 0))
        hits = hits + 1 if current_window == window else 1
        self._memory[key] = (window, hits)
        if len(self._memory) > 100_000:
            self._memory = {k: v for k, v in self._memory.items() if v[0] == window}
        return hits, reset

    async def spaced(self, key: str, seconds: int) -> int:
        """At most one per `seconds` for `key`, measured from the last one allowed (not a fixed window, which
        lets two through either side of its edge): 0 when this one may go (and it is noted), else the seconds
        to wait."""
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline()
                pipe.set(f"sb:gap:{key}", 1, nx=True, ex=seconds)
                pipe.ttl(f"sb:gap:{key}")
                allowed, left = await pipe.execute()
                return 0 if allowed else max(int(left), 1)
            except Exception:  # noqa: BLE001 - as in count(): fall back to memory
                pass
        now = time.time()
        until = self._gaps.get(key, 0.0)
        if until > now:
            return max(int(until - now + 0.999), 1)
        if len(self._gaps) > 100_000:
            self._gaps = {k: v for k, v in self._gaps.items() if v > now}
        self._gaps[key] = now + seconds
        return 0

    async def forgive(self, key: str, window_seconds: int) -> None:
        """Take back one hit of the current window (an attempt that turned out legitimate); never below zero."""
        window = int(time.time()) // window_seconds
        if self._redis is not None:
            try:
                await self._redis.eval(_DECR_IF_POSITIVE, 1, f"sb:rl:{key}:{window}")
                return
            except Exception:  # noqa: BLE001 - as in count(): fall back to memory
                pass
        current_window, hits = self._memory.get(key, (window, 0))
        if current_window == window and hits > 0:
            self._memory[key] = (window, hits - 1)

    async def hit(self, key: str, *, limit: int, window_seconds: int, what: str) -> None:
        """Count a hit and refuse (429, code rate_limited) past `limit` per window."""
        hits, reset = await self.count(key, window_seconds)
        if hits > limit:
            raise TooManyRequests(f"Too many {what} in a short time. Please wait {max(reset, 1)} seconds and try again.",
                                  retry_after=max(reset, 1))

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def limiter_for(settings: Settings) -> RateLimiter:
    """One limiter per settings object (per app; kernel/kept.py keeps a new app's settings from inheriting an
    old app's counts through a reused id)."""
    return one_per(settings, "rate_limiter", RateLimiter)


def rate_limit_guard(name: str, *, limit: int, window_seconds: int, what: str):  # noqa: ANN201
    """A Litestar guard: at most `limit` calls per window per login (or per client address)."""
    import hashlib

    async def guard(connection, _handler) -> None:  # noqa: ANN001
        header = connection.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else connection.cookies.get("sb_session")
        if token:
            who = hashlib.sha256(token.encode()).hexdigest()[:24]
        else:
            who = "ip:" + (client_ip(connection) or "unknown")
        settings = connection.app.state.settings
        await limiter_for(settings).hit(f"{name}:{who}", limit=limit, window_seconds=window_seconds, what=what)

    return guard
