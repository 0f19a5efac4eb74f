"""Serving the public honour-list posters: drawn once per content, never while holding a database connection.

Drawing a poster costs about 1.7 s of CPU and the endpoint needs no login, so: the list is read in a
short session that is closed before drawing (on SQLite that is the only connection); the poster is
kept in a bounded in-memory cache under a digest of everything it shows, so a request for the same
content never draws again; a miss is drawn in a worker thread, at most two at a time per process,
and each client address may cause only a few draws per window (hits are never limited).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from functools import partial

import anyio
import msgspec
from litestar.datastructures import State

from servicebank.config import Settings
from servicebank.honours import poster, views
from servicebank.honours.schemas import PublicListOut
from servicebank.kernel.db import Database
from servicebank.kernel.errors import TooManyRequests
from servicebank.ratelimit import limiter_for

CACHE_BYTES = 64 * 1024 * 1024
RENDERS_PER_WINDOW = 20
WINDOW_SECONDS = 600
RENDERS_AT_ONCE = 2
MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf"}


class PosterCache:
    """Posters by content digest, least recently used dropped first once past `max_bytes`."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self.drawing = asyncio.Semaphore(RENDERS_AT_ONCE)

    def get(self, key: str) -> bytes | None:
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
        return body

    def put(self, key: str, body: bytes) -> None:
        if key in self._items or len(body) > self.max_bytes:
            return
        self._items[key] = body
        self.size += len(body)
        while self.size > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self.size -= len(dropped)


def cache_of(state: State) -> PosterCache:
    """The app's poster cache, kept in its state (one per process)."""
    if "poster_cache" not in state:
        state["poster_cache"] = PosterCache()
    return state["poster_cache"]


def content_digest(data: PublicListOut, *, kind: str, url: str, timezone: str) -> str:
    """A digest of everything the poster shows: the public list (names, figures, state, dates), format, link."""
    shown = msgspec.json.encode(data) + f"\n{kind}\n{url}\n{timezone}".encode()
    return hashlib.sha256(shown).hexdigest()


async def _allow_a_draw(settings: Settings, client: str | None) -> None:
    hits, reset = await limiter_for(settings).count(f"poster:ip:{client or 'unknown'}", WINDOW_SECONDS)
    if hits > RENDERS_PER_WINDOW:
        raise TooManyRequests(f"Too many posters drawn for this address; please try again in {max(reset, 1)} "
                              "seconds.", code="poster_rate_limited", retry_after=max(reset, 1))


async def poster_for(db: Database, *, settings: Settings, cache: PosterCache, list_id: int, kind: str, url: str,
                     client: str | None) -> bytes:
    """A published list's poster (`png` or `pdf`): from the cache when its content is unchanged, else drawn."""
    async with db.session_scope() as session:
        data = await views.public_list(session, list_id=list_id)
    # The session is closed: its connection is back in the pool before any drawing starts.
    key = content_digest(data, kind=kind, url=url, timezone=settings.timezone)
    body = cache.get(key)
    if body is not None:
        return body
    await _allow_a_draw(settings, client)
    async with cache.drawing:
        body = cache.get(key)  # drawn by a request that was ahead of this one
        if body is None:
            render = getattr(poster, f"render_{kind}")
            drawn: bytes = await anyio.to_thread.run_sync(partial(render, data, url=url, timezone=settings.timezone))
            cache.put(key, drawn)
            body = drawn
    return body
