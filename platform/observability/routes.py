"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import func, select

from servicebank import events
from servicebank.db import Database
from servicebank.events import OutboxEvent
from servicebank.observability import metrics

QUEUES = ("events", "default", "maintenance")


def _queue_depths() -> dict[str, int]:
    from servicebank.workers.broker import broker

    if type(broker).__name__ == "StubBroker":
        return {q: broker.queues[q].qsize() for q in QUEUES if q in getattr(broker, "queues", {})}
    client = broker.client  # type: ignore[attr-defined]
    namespace = getattr(broker, "namespace", "dramatiq")
    return {q: int(client.llen(f"{namespace}:{q}") or 0) for q in QUEUES}


async def _failed_attempts(db: Database) -> int:
    async with db.session_scope() as session:
        return int(await session.scalar(
            select(func.coalesce(func.sum(OutboxEvent.attempts), 0)).where(OutboxEvent.processed_at.is_(None))
        ) or 0)


@get("/metrics", tags=["operations"], exclude_from_auth=True, include_in_schema=False)
async def metrics_endpoint(state: State) -> Response[bytes]:
    """Prometheus metrics."""
    db: Database = state.db
    try:
        metrics.set_backlog(await events.backlog(db), await _failed_attempts(db))
    except Exception:  # noqa: BLE001 - a scrape during an outage still returns request metrics
        pass
    try:
        metrics.set_queue_depths(await asyncio.to_thread(_queue_depths))
    except Exception:  # noqa: BLE001
        pass
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


ROUTES = [metrics_endpoint]
