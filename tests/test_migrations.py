"""Alembic: `upgrade head` builds the schema on an empty database, and the models have no drift."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

import servicebank.registry  # noqa: F401
from servicebank import migrate
from servicebank.kernel.db import metadata
from servicebank.kernel.partitions import is_partition


def _empty_database(backend: str, request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database("servicebank_migrations")


def _not_a_test_table(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    # Test modules add tables of their own (test_*) to the shared metadata; they are not the schema.
    # Nor are a partitioned table's months (kernel/partitions.py), made by the upkeep job.
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return not (table is not None and (table.name.startswith("test_") or is_partition(table.name)))


def _drift(url: str) -> list[object]:
    async def compare() -> list[object]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(
                    c, opts={"compare_type": True, "include_object": _not_a_test_table}), metadata)
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
