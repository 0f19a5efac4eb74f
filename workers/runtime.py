"""Per-process state of a worker: its own database engine, created in the worker's event loop."""

from __future__ import annotations

from collections.abc import Sequence

from servicebank.config import get_settings
from servicebank.kernel.db import Database

_db: Database | None = None


def publish_event_ids(event_ids: Sequence[int]) -> None:
    """Send committed event ids to the dispatch actor, in batches."""
    from servicebank.workers.tasks import dispatch

    ids = list(event_ids)
    batch = get_settings().outbox_batch_size
    for start in range(0, len(ids), batch):
        dispatch.send(ids[start:start + batch])


def worker_db() -> Database:
    """This worker process's database (events recorded by handlers are published after commit)."""
    global _db
    if _db is None:
        _db = Database(get_settings(), publisher=publish_event_ids)
    return _db
