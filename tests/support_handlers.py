"""A test-only event handler and table, importable by a real worker subprocess too."""

from __future__ import annotations

import asyncio

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel import events
from servicebank.kernel.db import PlainBase


class WorkerEffect(PlainBase):
    """One row per handled event; the primary key makes a second application impossible to hide."""

    __tablename__ = "test_worker_effect"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note: Mapped[str] = mapped_column(String(40))


@events.subscribe("test.work")
async def handle_work(session, event) -> None:  # noqa: ANN001
    # Slow enough that a SIGKILL lands in the middle of a batch.
    await asyncio.sleep(event.payload.get("sleep", 0))
    session.add(WorkerEffect(event_id=event.id, note=event.payload.get("note", "")))
