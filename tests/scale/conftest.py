"""A PostgreSQL server of the module's own, with every table, for tests that put other servers beside it."""

from __future__ import annotations

import asyncio

from servicebank import registry
from servicebank.kernel.db import Database
from tests.conftest import _server_or_fail, make_settings
from tests.servers import PostgresServer


def postgres_with_schema(database: str = "servicebank") -> PostgresServer:
    server = _server_or_fail(PostgresServer, "PostgreSQL")
    server.create_database(database)

    async def build() -> None:
        db = Database(make_settings(database_url=server.url(database)))
        await registry.create_tables(db)
        await db.dispose()

    asyncio.run(build())
    return server
