"""Small per-process memories shared by several domains.

- `one_per(owner, kind, make)`: one helper object per long-lived owner (a Redis client, a settings object), made on
  first use. The registry holds the owner too, so a freed owner's id, reused by a new object, never finds the
  old owner's helper.
- `ShortMemory`: values kept a few seconds in this process, at most `limit` of them. Reads that thousands of
  phones repeat every second (a public board, the top of a board, the names on it) are answered from it; what it
  holds is at most `seconds` older than the database.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, MutableMapping
from time import monotonic
from typing import Any, TypeVar

T = TypeVar("T")

_helpers: dict[tuple[str, int], tuple[object, Any]] = {}


def one_per(owner: object, kind: str, make: Callable[[Any], T]) -> T:
    """The `kind` helper of `owner`, made with `make(owner)` on first use."""
    key = (kind, id(owner))
    found = _helpers.get(key)
    if found is None or found[0] is not owner:
        found = _helpers[key] = (owner, make(owner))
    return found[1]


class ShortMemory:
    """Values kept `seconds`; when `limit` are held, the older half is dropped (a crawler walking ids cannot grow
    the process without bound)."""

    def __init__(self, seconds: float, limit: int) -> None:
        self.seconds = seconds
        self.limit = limit
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable) -> Any:  # noqa: ANN401 - whatever was kept
        """The value kept under `key` if still fresh, else None."""
        found = self._entries.get(key)
        if found is None or found[0] <= monotonic():
            return None
        return found[1]

    def put(self, key: Hashable, value: Any) -> None:  # noqa: ANN401
        entries = self._entries
        if len(entries) >= self.limit:
            for old in list(entries)[: self.limit // 2]:
                del entries[old]
        entries[key] = (monotonic() + self.seconds, value)

    def __len__(self) -> int:
        return len(self._entries)


def short_memory(home: MutableMapping[str, Any], name: str, seconds: float, limit: int) -> ShortMemory:
    """The memory `name` kept in `home` (an app's state, a Database's attributes), made on first use, so that it
    lives and dies with what it serves."""
    memory = home.get(name)
    if memory is None or memory.seconds != seconds:
        memory = home[name] = ShortMemory(seconds, limit)
    return memory
