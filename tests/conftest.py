"""Shared fixtures: every database test runs on SQLite and on PostgreSQL (+ Redis).

Servers are started once per session from the installed binaries (see tests/servers.py). Under CI
a server that cannot start fails the run with the reason; locally the PostgreSQL half is skipped.
"""

from __future__ import annotations

import os
import tempfile

# The broker is chosen from the environment when first imported: tests use the in-process one.
for _name in [n for n in os.environ if n.startswith("SERVICEBANK_") and not n.startswith("SERVICEBANK_TEST")]:
    if _name not in {"SERVICEBANK_PG_BIN", "SERVICEBANK_REQUIRE_SERVICES"}:
        os.environ.pop(_name)
# Settings read from the environment in embedded mode keep their keys file here, not in the checkout.
os.environ["SERVICEBANK_DATA_DIR"] = tempfile.mkdtemp(prefix="servicebank-test-data-")

from collections.abc import AsyncIterator, Iterator  # noqa: E402

import pytest  # noqa: E402
import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from servicebank.config import Settings  # noqa: E402
from servicebank.db import Database, metadata  # noqa: E402
from tests.servers import PostgresServer, RedisServer, ServerUnavailable, services_required  # noqa: E402

TEST_SECRET = "test-secret-" + "x" * 40
TEST_DATA_KEY = "test-data-key-" + "d" * 40
BACKENDS = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        names = [m.name for m in metafunc.definition.iter_markers()]
        backends = list(BACKENDS)
        if "postgres_only" in names:
            backends = ["postgres"]
        elif "sqlite_only" in names:
            backends = ["sqlite"]
        metafunc.parametrize("backend", backends, scope="function")


def _server_or_fail(factory, what: str):  # noqa: ANN001, ANN202
    try:
        return factory()
    except ServerUnavailable as exc:
        message = f"{what} could not be started: {exc}"
        if services_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


class _ExistingPostgres:
    def __init__(self, url: str) -> None:
        self._url = url

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        return self._url

    def create_database(self, name: str) -> str:
        return self._url

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    existing = os.environ.get("SERVICEBANK_TEST_POSTGRES_URL")
    server = _ExistingPostgres(existing) if existing else _server_or_fail(PostgresServer, "PostgreSQL")
    yield server  # type: ignore[misc]
    server.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    existing = os.environ.get("SERVICEBANK_TEST_REDIS_URL")
    if existing:
        class _Existing:
            url = existing

            def close(self) -> None:
                pass
        yield _Existing()  # type: ignore[misc]
        return
    server = _server_or_fail(RedisServer, "Redis")
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """A database with the full schema, created once per session."""
    import asyncio

    import servicebank.registry  # noqa: F401

    url = postgres_server.create_database("servicebank_test")

    async def build() -> None:
        db = Database(Settings(database_url=url))
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
        await db.dispose()

    asyncio.run(build())
    return url


def make_settings(**overrides: object) -> Settings:
    base = Settings(secret_key=TEST_SECRET, data_key=TEST_DATA_KEY, publish_events=False, embedded_worker=False,
                    public_url="http://testserver", public_read_cache_seconds=0)
    return base.replace(**overrides)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path) -> Settings:  # noqa: ANN001
    if backend == "sqlite":
        return make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    url = request.getfixturevalue("postgres_url")
    redis = request.getfixturevalue("redis_server")
    return make_settings(database_url=url, redis_url=redis.url)


async def _truncate_all(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A clean database for one test."""
    database = Database(settings)
    if database.dialect == "sqlite":
        await database.create_all()
    else:
        await _truncate_all(database)
    if settings.redis_url:
        import redis.asyncio as aioredis

        client = aioredis.from_url(settings.redis_url)
        await client.flushdb()
        await client.aclose()
    yield database
    await database.dispose()


@pytest.fixture
async def session(db: Database):  # noqa: ANN201
    """A session for arranging data; commit what the app must see."""
    async with db.sessionmaker() as s:
        yield s


@pytest.fixture
def app(settings: Settings, db: Database):  # noqa: ANN201
    from servicebank.app import create_app

    return create_app(settings, db=db)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    """An HTTP client calling the app in the test's own event loop (so asyncio.gather over requests
    is truly concurrent, and the database pool is used from one loop only)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
