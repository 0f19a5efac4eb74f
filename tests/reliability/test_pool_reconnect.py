"""A pooled connection the server closed is replaced at checkout, without a ping per request; a request
whose connection dies answers 503 on every path, and that connection is discarded, never pooled again."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from servicebank.checkins import fast_scan
from servicebank.kernel.db import Database

pytestmark = pytest.mark.postgres_only


async def _terminate_pooled_connection(db: Database) -> int:
    """The backend pid of a connection now idle in the pool, which the server has just terminated."""
    # The administrator's connection is held while the session borrows and returns another one.
    async with db.engine.connect() as admin:
        async with db.session_scope() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
        await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await admin.rollback()
    await asyncio.sleep(0.2)  # the driver reads the server's goodbye on a later turn of the loop
    return pid


async def test_connection_terminated_by_the_server_is_replaced_at_checkout(db: Database) -> None:
    assert db.engine.pool._pre_ping is False  # the point: no round trip before every request
    terminated = await _terminate_pooled_connection(db)

    async with db.session_scope() as session:
        pids = {await session.scalar(text("SELECT pg_backend_pid()"))}
    async with db.engine.connect() as one, db.engine.connect() as two:  # every pooled connection is alive
        pids |= {await one.scalar(text("SELECT pg_backend_pid()")), await two.scalar(text("SELECT pg_backend_pid()"))}

    assert terminated not in pids


async def test_driver_level_statement_after_termination_gets_a_live_connection(db: Database) -> None:
    # The one-statement check-in talks to asyncpg directly; it must be handed a live connection too.
    terminated = await _terminate_pooled_connection(db)

    async with db.session_scope() as session:
        assert fast_scan.available(session)
        raw = await (await session.connection()).get_raw_connection()
        pid = await raw.driver_connection.fetchval("SELECT pg_backend_pid()")

    assert pid != terminated


def _terminated_as_it_starts(monkeypatch, cls: type, method: str, admin, pid_of) -> list[int]:  # noqa: ANN001
    """Patch `cls.method` so that its first call has its backend terminated just before it runs.

    The server's goodbye reaches the driver as the statement starts: asyncpg then reports either a
    connection closed mid-operation or (when the goodbye was read first) "cannot switch to state N;
    another operation is in progress", an InternalClientError. Returns the terminated pids.
    """
    original = getattr(cls, method)
    terminated: list[int] = []

    async def terminated_first(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if not terminated:
            terminated.append(pid_of(self))
            await admin.execute("SELECT pg_terminate_backend($1)", terminated[0])
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, terminated_first)
    return terminated


@pytest.mark.parametrize("path", ["one-statement", "orm"])
async def test_a_scan_whose_connection_dies_answers_503_and_the_connection_is_discarded(
        client, session, settings, db, monkeypatch, path: str) -> None:  # noqa: ANN001
    import asyncpg
    from sqlalchemy import event
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

    from tests.checkins.helpers import code, scan, scene

    s = await scene(session)
    pooled: list[int] = []

    @event.listens_for(db.engine.sync_engine, "checkin")
    def returned(dbapi_connection, _record) -> None:  # noqa: ANN001
        if dbapi_connection is not None:
            pooled.append(dbapi_connection.driver_connection.get_server_pid())

    admin = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        if path == "one-statement":
            terminated = _terminated_as_it_starts(monkeypatch, asyncpg.Connection, "fetchrow", admin,
                                                  lambda conn: conn.get_server_pid())
        else:
            monkeypatch.setattr(fast_scan, "available", lambda _session: False)
            terminated = _terminated_as_it_starts(monkeypatch, AsyncAdapt_asyncpg_connection, "_start_transaction",
                                                  admin, lambda adapted: adapted._connection.get_server_pid())
        failed = await scan(client, "/api/check-ins", code(settings, s.activity.id), s.volunteer)
    finally:
        await admin.close()

    assert terminated, "the request never reached the database"
    assert failed.status_code == 503, failed.text
    assert failed.json()["code"] == "database_unavailable" and failed.headers["Retry-After"]
    assert terminated[0] not in pooled, "a connection the server closed went back into the pool"
    again = await scan(client, "/api/check-ins", code(settings, s.activity.id), s.volunteer)
    assert again.status_code == 201, again.text


async def test_redis_unreachable_during_a_request_answers_503_with_retry_after() -> None:
    import httpx
    import redis.asyncio as aioredis
    from litestar import Litestar, get

    from servicebank.kernel.errors import exception_handlers
    from tests.servers import free_port

    @get("/uses-redis")
    async def uses_redis() -> str:
        client = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
        try:
            return str(await client.get("anything"))
        finally:
            await client.aclose()

    app = Litestar([uses_redis], exception_handlers=exception_handlers())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/uses-redis")
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "service_unavailable" and response.headers["Retry-After"]


def test_bad_input_reported_by_the_driver_is_not_a_connection_failure() -> None:
    import asyncpg

    from servicebank.kernel.errors import is_connection_failure

    assert not is_connection_failure(asyncpg.DataError("invalid input for query argument $1"))
    assert is_connection_failure(asyncpg.InterfaceError("connection is closed"))
    assert is_connection_failure(asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation is in progress"))
    assert is_connection_failure(asyncpg.IdleInTransactionSessionTimeoutError(
        "terminating connection due to idle-in-transaction timeout"))
