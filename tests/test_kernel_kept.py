"""kernel/kept.py: one helper per owner, never inherited through a reused id; short memories that forget on time
and stay bounded."""

from __future__ import annotations

import pytest

from servicebank.kernel import kept
from servicebank.kernel.kept import ShortMemory, one_per, short_memory


class Owner:
    pass


def test_one_helper_per_owner_and_kind() -> None:
    first, second = Owner(), Owner()
    made: list[Owner] = []

    def make(owner: Owner) -> list[Owner]:
        made.append(owner)
        return [owner]

    assert one_per(first, "probe", make) is one_per(first, "probe", make)
    assert one_per(second, "probe", make) == [second]
    assert one_per(first, "other", make) == [first]
    assert made == [first, second, first]


def test_a_new_owner_at_a_reused_id_gets_its_own_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = Owner(), Owner()
    monkeypatch.setattr(kept, "id", lambda _owner: 42, raising=False)  # both at the same address
    assert one_per(old, "probe-reuse", lambda o: ("helper of", o))[1] is old
    assert one_per(new, "probe-reuse", lambda o: ("helper of", o))[1] is new


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_short_memory_forgets_after_its_seconds_and_drops_the_older_half_when_full(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(kept, "monotonic", clock)
    memory = ShortMemory(seconds=1.0, limit=4)
    memory.put("a", 1)
    clock.now += 0.9
    assert memory.get("a") == 1 and memory.get("b") is None
    clock.now += 0.1
    assert memory.get("a") is None  # exactly its seconds old: gone
    for key in "abcd":
        memory.put(key, key)
    memory.put("e", "e")
    assert len(memory) == 3 and memory.get("a") is None and memory.get("b") is None and memory.get("e") == "e"


def test_a_short_memory_lives_in_its_home_and_is_remade_when_its_seconds_change() -> None:
    home: dict[str, object] = {}
    memory = short_memory(home, "board", 1.0, 10)
    assert short_memory(home, "board", 1.0, 10) is memory and home["board"] is memory
    assert short_memory(home, "board", 2.0, 10) is not memory
