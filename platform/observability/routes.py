"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress

from litestar import Request, Response, get
from litestar.datastructures import State
from sqlalchemy import func, select

from servicebank.clientip import client_ip
from servicebank.config import Settings
from servicebank.kernel import events
from servicebank.kernel.db import Database
from servicebank.kernel.errors import Forbidden
from servicebank.kernel.events import OutboxEvent
from servicebank.observability import metrics

QUEUES = ("events", "default", "maintenance")


def _queue_depths() -> dict[str, int]:
    # Imported when asked: the import configures the process's broker from the settings (workers/broker.py).
    from servicebank.workers.broker import broker

    if type(broker).__name__ == "StubBroker":
        return {q: broker.queues[q].qsize() for q in QUEUES if q in getattr(broker, "queues", {})}
    client = broker.client
    namespace = getattr(broker, "namespace", "dramatiq")
    return {q: int(client.llen(f"{namespace}:{q}") or 0) for q in QUEUES}


async def _failed_attempts(db: Database) -> int:
    async with db.session_scope() as session:
        return int(await session.scalar(
            select(func.coalesce(func.sum(OutboxEvent.attempts), 0)).where(OutboxEvent.processed_at.is_(None))
        ) or 0)


def _may_scrape(request: Request, settings: Settings) -> bool:
    """The bearer token when one is set, or a client address in the allowed networks."""
    token = settings.metrics_token
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.metrics_networks)


@get("/metrics", tags=["operations"], exclude_from_auth=True, include_in_schema=False)
async def metrics_endpoint(request: Request, state: State) -> Response[bytes]:
    """Prometheus metrics, for the addresses in SERVICEBANK_METRICS_ALLOW or a scraper with the token."""
    if not _may_scrape(request, state.settings):
        raise Forbidden("Metrics are open only to the addresses in SERVICEBANK_METRICS_ALLOW (loopback by default "
                        "in production) or to a scraper sending SERVICEBANK_METRICS_TOKEN as a bearer token.",
                        code="metrics_forbidden")
    db: Database = state.db
    try:
        metrics.set_backlog(await events.backlog(db), await _failed_attempts(db))
    except Exception:  # noqa: BLE001 - a scrape during an outage still returns request metrics
        pass
    try:
        metrics.set_queue_depths(await asyncio.to_thread(_queue_depths))
    except Exception:  # noqa: BLE001
        pass
    return Response(metrics.render(), media_type="text/plain; version=0.0.4")


ROUTES = [metrics_endpoint]
