"""Alembic environment: async engine, SQLite (batch mode) and PostgreSQL, models from the registry."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import servicebank.registry  # noqa: F401  (imports every model)
from servicebank.config import get_settings
from servicebank.kernel.db import make_engine, metadata
from servicebank.kernel.partitions import is_partition

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def _not_a_partition(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    # A month's partition of a partitioned table (kernel/partitions.py) is made by the upkeep job, not a model.
    return not (type_ == "table" and reflected and name and is_partition(name))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_not_a_partition,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    settings = get_settings().replace(database_url=_url())
    engine = make_engine(settings)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
