"""A pooled connection the server closed is replaced at checkout, without a ping per request."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from servicebank.checkins import fast_scan
from servicebank.db import Database

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
