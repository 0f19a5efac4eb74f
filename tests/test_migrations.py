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


@pytest.mark.postgres_only
def test_the_ledger_partitions_migration_moves_rows_into_their_months_and_back(backend: str, request, tmp_path) -> None:  # noqa: ANN001
    """0022 on a database holding ledger rows: each line lands in its transaction's month partition, the ids
    carry on, and the downgrade gives plain tables with every row back."""
    from alembic import command
    from sqlalchemy import text

    url = _empty_database(backend, request, tmp_path)
    migrate.upgrade(url, "0021_kind_training")

    async def sql(statements: str) -> list[tuple]:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            rows: list[tuple] = []
            for statement in statements.split(";"):
                result = await conn.execute(text(statement))
                rows = [tuple(r) for r in result.all()] if result.returns_rows else rows
        await engine.dispose()
        return rows

    asyncio.run(sql(
        "INSERT INTO ledger_account (id, kind, owner_id, balance, created_at) VALUES "
        "(1, 'volunteer', 1, 12, now()), (2, 'community', 1, -12, now());"
        "INSERT INTO ledger_transaction (id, source_key, kind, memo, created_at) VALUES "
        "(1, 'm:1', 'service', '', '2025-03-31 23:30+00'), (2, 'm:2', 'service', '', '2026-11-30 23:59+00');"
        "SELECT setval('ledger_transaction_id_seq', 2);"
        "INSERT INTO ledger_entry (transaction_id, account_id, amount) VALUES (1, 1, 5), (1, 2, -5), (2, 1, 7), (2, 2, -7);"
        "INSERT INTO ledger_service_credit (transaction_id, volunteer_id, service_date, minutes, points) VALUES "
        "(1, 1, '2025-03-31', 60, 5), (2, 1, '2026-11-30', 60, 7)"))
    migrate.upgrade(url)
    placed = asyncio.run(sql(
        "SELECT 'e', transaction_id, tableoid::regclass::text FROM ledger_entry UNION ALL "
        "SELECT 'c', transaction_id, tableoid::regclass::text FROM ledger_service_credit ORDER BY 1, 2"))
    assert placed == [("c", 1, "ledger_service_credit_2025_03"), ("c", 2, "ledger_service_credit_2026_11"),
                      ("e", 1, "ledger_entry_2025_03"), ("e", 1, "ledger_entry_2025_03"),
                      ("e", 2, "ledger_entry_2026_11"), ("e", 2, "ledger_entry_2026_11")]
    kinds = asyncio.run(sql("SELECT relname, relkind::text FROM pg_class WHERE relname IN "
                            "('ledger_entry', 'ledger_service_credit', 'ledger_entry_default', 'ledger_transaction') "
                            "ORDER BY 1"))
    assert kinds == [("ledger_entry", "p"), ("ledger_entry_default", "r"), ("ledger_service_credit", "p"),
                     ("ledger_transaction", "r")]
    # Every month between, and a few ahead of today, has its partition; the sequence carries on.
    months = asyncio.run(sql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'ledger_entry'::regclass"))[0][0]
    assert months >= 22 + 1
    assert asyncio.run(sql("INSERT INTO ledger_entry (transaction_id, account_id, amount, created_at) "
                           "VALUES (2, 1, 0, '2026-11-30 23:59+00') RETURNING id")) == [(5,)]
    assert _drift(url) == []

    command.downgrade(migrate.alembic_config(url), "0021_kind_training")
    assert asyncio.run(sql("SELECT relkind::text FROM pg_class WHERE relname = 'ledger_entry'")) == [("r",)]
    assert asyncio.run(sql("SELECT count(*), sum(amount) FROM ledger_entry")) == [(5, 0)]
    assert asyncio.run(sql("SELECT to_regclass('ledger_entry_2025_03')")) == [(None,)]
