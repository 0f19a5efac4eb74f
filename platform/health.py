"""Liveness, readiness and health: is the database reachable, is the broker, how old is the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from servicebank.kernel import events, replica
from servicebank.kernel.db import Database


async def database_state(db: Database) -> dict[str, Any]:
    try:
        async with db.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=3)
        return {"ok": True, "dialect": db.dialect}
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "dialect": db.dialect, "error": type(exc).__name__}


def broker_state() -> dict[str, Any]:
    # Imported when asked: the import configures the process's broker from the settings (workers/broker.py).
    from servicebank.workers.broker import broker

    kind = type(broker).__name__
    if kind == "StubBroker":
        return {"ok": True, "kind": "in-process"}
    try:
        broker.client.ping()
        return {"ok": True, "kind": "redis"}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "kind": "redis", "error": type(exc).__name__}


@get("/health", tags=["operations"], exclude_from_auth=True)
async def health(state: State) -> Response[dict[str, Any]]:
    """Database, broker and outbox state; 503 when the database or broker is down."""
    db: Database = state.db
    database = await database_state(db)
    broker = await asyncio.to_thread(broker_state)
    outbox: dict[str, Any] = {}
    if database["ok"]:
        try:
            outbox = await events.backlog(db)
        except Exception as exc:  # noqa: BLE001
            outbox = {"error": type(exc).__name__}
    ok = database["ok"] and broker["ok"]
    # A replica out of reach is not an outage: its reads go to the primary (kernel/replica.py).
    body = {"status": "ok" if ok else "degraded", "mode": db.settings.mode, "database": database,
            "replica": replica.describe(db), "broker": broker, "outbox": outbox}
    return Response(body, status_code=200 if ok else 503)


@get("/health/live", tags=["operations"], exclude_from_auth=True)
async def live() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/health/ready", tags=["operations"], exclude_from_auth=True)
async def ready(state: State) -> Response[dict[str, Any]]:
    """Readiness: the database answers (a load balancer should stop sending traffic otherwise)."""
    database = await database_state(state.db)
    return Response({"status": "ok" if database["ok"] else "unavailable", "database": database},
                    status_code=200 if database["ok"] else 503)


ROUTES = [health, live, ready]
