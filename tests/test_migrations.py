"""Alembic: `upgrade head` builds the schema on an empty database, and the models have no drift."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

import servicebank.registry  # noqa: F401
from servicebank import migrate
from servicebank.db import metadata


def _empty_database(backend: str, request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database("servicebank_migrations")


def _drift(url: str) -> list[object]:
    async def compare() -> list[object]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), metadata)
            )
        await engine.dispose()
        return diff

    return asyncio.run(compare())


def test_upgrade_head_on_empty_database_leaves_no_drift(backend: str, request, tmp_path) -> None:  # noqa: ANN001
    url = _empty_database(backend, request, tmp_path)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    drift = _drift(url)
    assert drift == [], (
        "models and migrations differ; generate a revision: "
        "alembic revision --autogenerate (see docs/contributing.md)\n" + "\n".join(map(str, drift))
    )
