"""The Litestar application: routes of every domain, the request transaction, errors as problem+json."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank import health, registry
from servicebank.accounts.dependencies import provide_optional_principal, provide_principal
from servicebank.config import Settings, get_settings
from servicebank.edge.middleware import edge_checks
from servicebank.edge.read_after_write import stick_writers_to_primary
from servicebank.kernel.collector import freeze_startup_heap
from servicebank.kernel.db import Database, end_failed
from servicebank.kernel.errors import exception_handlers
from servicebank.kernel.publish_gather import GatheredPublisher
from servicebank.kernel.replica import STICKY_COOKIE, read_session
from servicebank.observability import routes as metrics_routes
from servicebank.observability.middleware import request_id_and_metrics
from servicebank.web.guard import with_page_for_unknown_addresses

log = logging.getLogger(__name__)


async def provide_db_session(state: State) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed after the handler returns, before the response is sent;
    rolled back when the handler raises. The connection goes back to the pool, unless it failed."""
    async with state.db.sessionmaker() as session:
        try:
            yield session
        except BaseException as error:
            await end_failed(session, error)
            raise
        if session.in_transaction():
            await session.commit()


async def provide_read_session(request: Request, state: State,
                               db_session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A session for reads that may be a moment old (the 台账, dashboard, exports, public pages): on the read
    replica when one is configured and usable, else the request's own session (kernel/replica.py)."""
    async with read_session(state.db, wants_primary=STICKY_COOKIE in request.cookies,
                            primary_session=db_session) as session:
        yield session


def _publisher(settings: Settings):  # noqa: ANN202
    if not settings.publish_events:
        return None
    from servicebank.workers.runtime import publish_event_ids

    if settings.outbox_gather_ms <= 0:
        return publish_event_ids
    # Many requests' events in one message, sent off the event loop (kernel/publish_gather.py).
    return GatheredPublisher(publish_event_ids, seconds=settings.outbox_gather_ms / 1000)


@contextlib.asynccontextmanager
async def _embedded_runtime(app: Litestar) -> AsyncIterator[None]:
    """Embedded mode: the Dramatiq worker and the scheduler run inside the API process."""
    settings: Settings = app.state.settings
    if not settings.embedded_worker:
        yield
        return
    import dramatiq

    from servicebank.workers import tasks  # noqa: F401  (declares the actors)
    from servicebank.workers.broker import broker
    from servicebank.workers.scheduler import run_scheduler

    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    stop = asyncio.Event()
    scheduler = asyncio.create_task(run_scheduler(app.state.db, stop=stop))
    log.info("embedded worker and scheduler started")
    try:
        yield
    finally:
        stop.set()
        await scheduler
        worker.stop(timeout=5000)


@contextlib.asynccontextmanager
async def _database_lifespan(app: Litestar) -> AsyncIterator[None]:
    try:
        yield
    finally:
        if isinstance(app.state.db.publisher, GatheredPublisher):
            await app.state.db.publisher.drain()  # what the last requests committed goes out now, not at the sweep
        await app.state.db.dispose()


@contextlib.asynccontextmanager
async def _frozen_startup_heap(app: Litestar) -> AsyncIterator[None]:
    """Last at start-up: what starting made is kept out of later collections' walks (kernel/collector.py)."""
    if app.state.settings.freeze_startup_heap:
        freeze_startup_heap(app.state.settings.gc_young_threshold)
    yield


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> Litestar:
    """Build the application for these settings (read from the environment when omitted)."""
    settings = (settings or get_settings()).validate()
    db = db or Database(settings, publisher=_publisher(settings))
    dependencies: dict[str, Any] = {
        "db_session": Provide(provide_db_session),
        "read_session": Provide(provide_read_session),
        "principal": Provide(provide_principal),
        "optional_principal": Provide(provide_optional_principal),
    }
    app = Litestar(
        route_handlers=[*health.ROUTES, *metrics_routes.ROUTES, *registry.route_handlers()],
        middleware=[edge_checks],
        dependencies=dependencies,
        exception_handlers=with_page_for_unknown_addresses(exception_handlers()),
        state=State({"db": db, "settings": settings}),
        lifespan=[_database_lifespan, _embedded_runtime, _frozen_startup_heap],
        openapi_config=OpenAPIConfig(
            title="Service Bank API",
            version="0.1.0",
            description="社区志愿服务银行: activities, QR check-in, the service-hours ledger, stores and reports.",
            path="/schema",
            use_handler_docstrings=True,
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        request_max_body_size=settings.max_upload_bytes,
        debug=settings.debug,
        # Logging is configured once per process by the CLI (observability/logs.py); Litestar's
        # default would replace that handler with its own plain-text one.
        logging_config=None,
    )
    # Around everything, so that requests no route matches are counted and logged as well.
    app.asgi_handler = request_id_and_metrics(app.asgi_handler)
    if settings.database_replica_url:
        app.asgi_handler = stick_writers_to_primary(app.asgi_handler, seconds=settings.replica_sticky_seconds,
                                                    secure=settings.secure_cookies)
    return app
