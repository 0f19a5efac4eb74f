"""A one-second, per-process cache of public reads that thousands of phones refresh (a leaderboard, an honour list).

Such a read changes a few times a second at most, while a festival's phones ask for it hundreds of times a
second; answering each of them from PostgreSQL and Redis made the board cost 15x a bare GET. A route opts in
with `before_request=serve_cached` and hands its answer to `keep`; the hook answers a repeat of the same
address (path and query string) from memory before any dependency (database session, login) is resolved.

How stale an answer can be: at most `public_read_cache_seconds` (setting, default one second) older than the data, in each API process
independently. Only anonymous requests are cached and served: a logged-in viewer sees their own name unmasked,
so their requests always go to the database. Errors are never cached (only what the route hands to `keep`).

Public HTML pages (a community's page) use the same store through web/public_pages.py, which keys them by
language and text size too and writes each visitor's own CSRF token into the kept page.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.serialization import encode_json

from servicebank.accounts.dependencies import token_from_request
from servicebank.kernel.kept import ShortMemory, short_memory

# Distinct addresses kept per process: boards of every scope, period and ranking fit; a crawler walking ids
# cannot grow the process without bound (kernel/kept.py drops the older half when full).
MAX_ENTRIES = 4096


def _memory(request: Request) -> ShortMemory | None:
    """This app's kept answers, or None when the cache is off (0 seconds)."""
    state = request.app.state
    seconds = state.settings.public_read_cache_seconds
    if seconds <= 0:
        return None
    return short_memory(state, "public_reads", seconds, MAX_ENTRIES)


def address(request: Request) -> str | None:
    """The address (path and query string), or None for a logged-in caller (never cached)."""
    if token_from_request(request):
        return None
    return f"{request.scope['path']}?{request.scope['query_string'].decode('latin-1')}"


def kept(request: Request, key: str | None) -> Any:  # noqa: ANN401
    """What was stored under `key` if still fresh; None when there is none, it is too old or the cache is off."""
    memory = _memory(request)
    if memory is None or key is None:
        return None
    return memory.get(key)


def store(request: Request, key: str | None, value: Any) -> None:  # noqa: ANN401
    """Keep `value` under `key` for the configured seconds (nothing when the cache is off or `key` is None)."""
    memory = _memory(request)
    if memory is not None and key is not None:
        memory.put(key, value)


async def serve_cached(request: Request) -> Response[bytes] | None:
    """Litestar before_request hook: the kept answer for this address if still fresh, else None (go on)."""
    found = kept(request, address(request))
    return None if found is None else Response(found, media_type=MediaType.JSON)


def keep(request: Request, answer: Any) -> Any:
    """Remember the route's answer, encoded as the response will be (JSON), for anonymous repeats of this address;
    returns it unchanged."""
    key = address(request)
    if key is not None:
        store(request, key, encode_json(answer))
    return answer
