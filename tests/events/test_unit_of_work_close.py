"""Closing a request's session that was never used skips SQLAlchemy's close (kernel/unit_of_work.py); a session
that did anything is still closed, and its connection goes back to the pool."""

from __future__ import annotations

from unittest import mock

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_an_unused_session_closes_without_crossing_into_sqlalchemy(db) -> None:  # noqa: ANN001
    with mock.patch.object(AsyncSession, "close", autospec=True) as close:
        async with db.sessionmaker():
            pass
    close.assert_not_called()


async def test_a_used_session_is_closed_and_gives_its_connection_back(db) -> None:  # noqa: ANN001
    pool = db.engine.sync_engine.pool
    async with db.sessionmaker() as session:
        assert (await session.execute(text("SELECT 1"))).scalar() == 1
        assert session.in_transaction()
    assert not session.in_transaction()
    assert pool.checkedout() == 0
    with mock.patch.object(AsyncSession, "close", autospec=True, side_effect=AsyncSession.close) as close:
        async with db.sessionmaker() as session:
            session.add_all([])
            await session.execute(text("SELECT 1"))
    close.assert_called_once()
    assert pool.checkedout() == 0
