"""The dispatches of one worker process take turns, so the next takes along what arrived meanwhile."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from typing import Any

import pytest

from servicebank.kernel import events
from servicebank.workers import runtime


async def test_dispatches_of_one_process_run_one_batch_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    running: list[int] = []
    most = 0

    async def batch(_db: Any, event_ids: Sequence[int], **_kwargs: Any) -> int:  # noqa: ANN401
        nonlocal most
        running.append(event_ids[0])
        most = max(most, len(running))
        await asyncio.sleep(0.01)
        running.remove(event_ids[0])
        return len(event_ids)

    monkeypatch.setattr(events, "process_events", batch)
    settings = type("Settings", (), {"outbox_batch_size": 500})
    monkeypatch.setattr(runtime, "worker_db", lambda: type("Db", (), {"settings": settings})())
    dispatch = inspect.unwrap(runtime.dispatch.fn)  # the coroutine under Dramatiq's wrapper, on this test's loop
    await asyncio.gather(*(dispatch([i]) for i in range(5)))
    assert most == 1
