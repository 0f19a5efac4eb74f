"""Shared fixtures: every database test runs on SQLite and on PostgreSQL (+ Redis).

Servers are started once per session from the installed binaries (see tests/servers.py). Under CI
a server that cannot start fails the run with the reason; locally the PostgreSQL half is skipped.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile

# The broker is chosen from the environment when first imported: tests use the in-process one.
for _name in [n for n in os.environ if n.startswith("SERVICEBANK_") and not n.startswith("SERVICEBANK_TEST")]:
    if _name not in {"SERVICEBANK_PG_BIN", "SERVICEBANK_REQUIRE_SERVICES"}:
        os.environ.pop(_name)
# A test process starts hundreds of apps and workers: freezing each one's heap would cost a collection
# apiece and keep every test's leftovers (tests/test_collector.py tests the freeze itself).
os.environ["SERVICEBANK_FREEZE_STARTUP_HEAP"] = "0"
# Settings read from the environment in embedded mode keep their keys file here, not in the checkout.
os.environ["SERVICEBANK_DATA_DIR"] = tempfile.mkdtemp(prefix="servicebank-test-data-")

from collections.abc import AsyncIterator, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

from servicebank.accounts import passwords  # noqa: E402
from servicebank.config import Settings  # noqa: E402
from servicebank.kernel.db import Database, metadata  # noqa: E402
from tests.servers import PostgresServer, RedisServer, ServerUnavailable, services_required  # noqa: E402

# Passwords are hashed with argon2id as in production, at its lowest cost: at the production cost (64 MiB,
# 3 passes) the hashing was most of what a test that makes people and logs them in spent. Servers the
# tests start as processes of their own hash at the production cost.
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

TEST_SECRET = "test-secret-" + "x" * 40
TEST_DATA_KEY = "test-data-key-" + "d" * 40
BACKENDS = ("sqlite", "postgres")
TESTS = Path(__file__).resolve().parent

# Property tests try 6 histories locally and 100 under CI (.ci/run sets the profile; 40 took 30 s on
# PostgreSQL on a busy machine). Loaded here, before the test modules are imported, because @settings
# takes its unset values from the profile then.
hypothesis_settings.register_profile("dev", max_examples=6)
hypothesis_settings.register_profile("ci", max_examples=100)
hypothesis_settings.load_profile(os.environ.get("SERVICEBANK_TEST_HYPOTHESIS_PROFILE", "dev"))

# Marked `slow`, which `scripts/test` leaves out and `scripts/test --all` (and CI) run: every browser test
# (marker `browser`) and these files and folders, whose tests took two to six times the median test
# when measured (per-test durations): real servers, workers, installs and fresh interpreters in
# subprocesses, signals, fault injection. (The property tests stay: with the `dev` profile they cost
# what an ordinary test does.)
SLOW = (
    "reliability/",
    "bench/",
    "scale/",
    "ledger/test_worker_kill.py",
    "workers/test_redis_worker.py",
    "leaderboards/test_parallel_workers.py",
    "workers/test_stop_signals.py",
    "observability/test_serve_logs.py",
    "test_embedded_up.py",
    "test_keys_installs.py",
    "test_keys_rotation.py",
    "test_startup_imports.py",
)
# And single tests of the same kinds, the longest of the fast run (5 to 16 s each): the sweep of every endpoint
# with every role, a scheduler kept leading through a real PostgreSQL idle-in-transaction timeout, a
# crafted workbook read in flat memory, and every migration run up and down over a database holding ledger rows.
SLOW_TESTS = (
    "accounts/test_authorization.py::test_every_endpoint_with_every_role",
    "workers/test_scheduler.py::test_the_leader_keeps_leading_under_an_idle_in_transaction_timeout",
    "volunteers/test_import_limits.py::TestCraftedWorkbooks::test_a_row_of_many_empty_cells_is_read_in_flat_memory",
    "web/test_insurance_browser.py::",
    "test_migrations.py::test_the_ledger_partitions_migration_moves_rows_into_their_months_and_back",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.relative_to(TESTS).as_posix() if item.path.is_relative_to(TESTS) else ""
        if item.get_closest_marker("browser") or where.startswith(SLOW) or any(t in item.nodeid for t in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


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
                    public_url="http://testserver", public_read_cache_seconds=0,
                    freeze_startup_heap=False, data_dir=os.environ["SERVICEBANK_DATA_DIR"])
    return base.replace(**overrides)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path) -> Settings:  # noqa: ANN001
    if backend == "sqlite":
        return make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    url = request.getfixturevalue("postgres_url")
    redis = request.getfixturevalue("redis_server")
    return make_settings(database_url=url, redis_url=redis.url)


def _emptying_sql() -> str:
    """Delete every row (children first) and restart every sequence, in one round trip.

    Cheaper than TRUNCATE for the few rows a test writes: TRUNCATE gives each of the ~50 tables and
    their indexes new files (0.1-0.2 s a test, measured), this takes 10-20 ms. A transaction rolled
    back at the end of each test would save only those 10-20 ms more, and cannot serve the many tests
    whose app, workers or concurrent requests need committed rows on other connections.
    """
    deletes = [f'DELETE FROM "{t.name}"' for t in reversed(metadata.sorted_tables)]
    # Only the sequences the test used (last_value is NULL again after setval(..., false)).
    restart = ("SELECT setval(format('%I', sequencename)::regclass, 1, false) FROM pg_sequences"
               " WHERE schemaname = 'public' AND last_value IS NOT NULL")
    return "; ".join([*deletes, restart])


async def _empty_all(db: Database) -> None:
    async with db.engine.begin() as conn:
        raw = await conn.get_raw_connection()
        # asyncpg runs several statements in one call only without parameters (simple query protocol).
        await raw.driver_connection.execute(_emptying_sql())


_SQLITE_TEMPLATE: list[Path] = []


async def _sqlite_from_template(settings: Settings) -> None:
    """Give the test's SQLite file every table by copying a file made once per process.

    Creating the ~60 tables and their indexes cost 0.2-0.3 s a test, measured: more than most tests
    themselves; copying a finished file costs about a millisecond. The template is closed (its
    write-ahead log checkpointed into the file) before it is copied."""
    if not _SQLITE_TEMPLATE:
        from servicebank import registry  # every domain's models

        template = Path(tempfile.mkdtemp(prefix="servicebank-test-template-")) / "template.db"
        maker = Database(settings.replace(database_url=f"sqlite+aiosqlite:///{template}"))
        await registry.create_tables(maker)
        await maker.dispose()
        _SQLITE_TEMPLATE.append(template)
    target = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
    shutil.copyfile(_SQLITE_TEMPLATE[0], target)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A clean database for one test."""
    if settings.database_url.startswith("sqlite"):
        await _sqlite_from_template(settings)
    database = Database(settings)
    if database.dialect != "sqlite":
        await _empty_all(database)
    if settings.redis_url:
        from servicebank.kernel import redis_clients

        client = redis_clients.async_client(settings.redis_url)
        await client.flushdb()  # on a Redis Cluster: on every master
        await client.aclose()
    yield database
    await database.dispose()


@pytest.fixture
async def session(db: Database):  # noqa: ANN201
    """A session for arranging data; commit what the app must see."""
    async with db.sessionmaker() as s:
        yield s


_APPS: dict[Settings, object] = {}


def app_for(settings: Settings, db: Database):  # noqa: ANN201
    """The application for these settings and this database, built once per process for each set of settings
    apart from the addresses that change from test to test (database, Redis, the fake SMS gateway's port).

    Building the app (every domain's ~500 handlers, their signatures and OpenAPI models) costs more than
    most tests, so each test gets a kept one with fresh state: the handlers read the settings, the database and
    their caches from `app.state` on every request (tests/test_app_reuse.py keeps that true)."""
    from litestar.datastructures import State

    from servicebank.app import create_app

    key = settings.replace(database_url="", redis_url=None, sms=dataclasses.replace(settings.sms, gateway_url=None))
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings, db=db)
    app.state = State({"db": db, "settings": settings})
    return app


@pytest.fixture
def app(settings: Settings, db: Database):  # noqa: ANN201
    """The application for this test's settings and database (see app_for)."""
    return app_for(settings, db)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    """An HTTP client calling the app in the test's own event loop (so asyncio.gather over requests
    is truly concurrent, and the database pool is used from one loop only)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
