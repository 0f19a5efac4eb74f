"""Reads that may be a moment old go to a real streaming replica (pg_basebackup -R on loopback), and back to
the primary when the replica lags, goes away, or the reader has just written (kernel/replica.py).

Replay is paused on the replica to make "which server answered" visible: a community created on the primary
afterwards is missing from what the replica answers and present in what the primary answers.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.app import create_app
from servicebank.config import Settings, SettingsError
from servicebank.kernel import replica as replica_module
from servicebank.kernel.db import Database
from servicebank.org.models import District
from tests.conftest import _server_or_fail, make_settings
from tests.factories import make_org, make_person
from tests.scale.conftest import postgres_with_schema
from tests.servers import PostgresServer, ReplicaServer

pytestmark = [pytest.mark.postgres_only]

PUBLIC_LIST = "/api/communities/public"


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[PostgresServer, ReplicaServer]]:
    primary = postgres_with_schema()
    replica = _server_or_fail(lambda: ReplicaServer(primary), "a PostgreSQL streaming replica")
    yield primary, replica
    replica.close()
    primary.close()


@pytest.fixture
async def cluster(servers, redis_server) -> AsyncIterator[tuple[PostgresServer, ReplicaServer, Settings]]:  # noqa: ANN001
    primary, replica = servers
    replica.resume_replay()
    settings = make_settings(database_url=primary.url("servicebank"), redis_url=redis_server.url,
                             database_replica_url=replica.url("servicebank"), replica_max_lag_seconds=60,
                             replica_retry_seconds=0.5)
    yield primary, replica, settings
    replica.resume_replay()


async def _names(client: httpx.AsyncClient, **kwargs: object) -> set[str]:
    response = await client.get(PUBLIC_LIST, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return {c["name"] for c in response.json()}


async def _app_client(settings: Settings) -> tuple[Database, httpx.AsyncClient]:
    db = Database(settings)
    app = create_app(settings, db=db)
    return db, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def _add_community(db: Database, name: str) -> None:
    async with db.session_scope() as session:
        org = await make_org(session)
        org.community.name = name


async def test_reads_come_from_the_replica_until_it_lags_too_far(cluster) -> None:  # noqa: ANN001
    primary, replica, settings = cluster
    db, client = await _app_client(settings)
    async with client:
        await _add_community(db, "复制前社区")
        replica.catch_up(primary)
        assert "复制前社区" in await _names(client)

        replica.pause_replay()
        await _add_community(db, "暂停后社区")
        names = await _names(client)
        assert "复制前社区" in names and "暂停后社区" not in names, "read from the paused replica"
        assert db.replica is not None and db.replica.reads["replica"] >= 2

        # The same install told to accept at most 1 s of lag reads the primary once the lag passes that.
        strict = settings.replace(replica_max_lag_seconds=1.0)
        strict_db, strict_client = await _app_client(strict)
        async with strict_client:
            await asyncio.sleep(1.5)
            assert "暂停后社区" in await _names(strict_client), "a lagging replica is passed over"
            assert strict_db.replica is not None and strict_db.replica.lag_seconds > 1.0
            assert replica_module.describe(strict_db)["reads"]["primary"] >= 1
        await strict_db.dispose()

        replica.resume_replay()
        replica.catch_up(primary)
        assert "暂停后社区" in await _names(client)
    await db.dispose()


async def test_who_just_wrote_reads_from_the_primary(cluster) -> None:  # noqa: ANN001
    primary, replica, settings = cluster
    db, client = await _app_client(settings)
    async with client:
        async with db.session_scope() as session:
            org = await make_org(session)
            admin = await make_person(session, Role.PLATFORM_ADMIN)
        replica.catch_up(primary)
        replica.pause_replay()
        created = await client.post("/api/communities", headers=admin.headers,
                                    json={"district_id": org.district.id, "street_id": org.street.id,
                                          "name": "刚建的社区", "code": "GJ1"})
        assert created.status_code == 201, created.text
        sticky = created.cookies.get(replica_module.STICKY_COOKIE)
        assert sticky == "1"
        assert "max-age=10" in created.headers["set-cookie"].lower()
        assert "刚建的社区" in await _names(client), "the writer's cookie sends their reads to the primary"
        client.cookies.clear()
        assert "刚建的社区" not in await _names(client), "everyone else reads the paused replica"
    await db.dispose()


async def test_reads_fall_back_to_the_primary_when_the_replica_goes_away(cluster) -> None:  # noqa: ANN001
    primary, replica, settings = cluster
    db, client = await _app_client(settings)
    async with client:
        await _add_community(db, "停机前社区")
        replica.catch_up(primary)
        assert "停机前社区" in await _names(client)
        replica.stop("immediate")
        try:
            await _add_community(db, "停机后社区")
            for _ in range(3):  # the first read finds the pooled connection dead, the next ones skip the replica
                assert "停机后社区" in await _names(client)
            assert replica_module.describe(db)["reachable"] is False
            health = (await client.get("/health")).json()
            assert health["replica"]["reachable"] is False and health["database"]["ok"] is True
        finally:
            replica.start()
        replica.catch_up(primary)
        await asyncio.sleep(0.6)  # replica_retry_seconds
        before = db.replica.reads["replica"] if db.replica else 0
        assert "停机后社区" in await _names(client)
        assert db.replica is not None and db.replica.reads["replica"] == before + 1, "back on the replica"
    await db.dispose()


async def test_a_read_session_never_keeps_a_write(cluster) -> None:  # noqa: ANN001
    _primary, _replica, settings = cluster
    db = Database(settings.replace(database_replica_url=None))
    async with replica_module.read_session(db) as session:
        session.add(District(name="不该留下的区"))
        await session.flush()
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(District.name == "不该留下的区")) == 0
    await db.dispose()


@pytest.mark.parametrize(("changes", "says"), [
    ({"database_url": "sqlite+aiosqlite:///x.db", "database_replica_url": "postgresql+asyncpg://r/sb"}, "needs PostgreSQL"),
    ({"database_url": "postgresql+asyncpg://p/sb", "database_replica_url": "postgresql+asyncpg://p/sb"}, "same address"),
    ({"database_url": "postgresql+asyncpg://p/sb", "database_replica_url": "postgresql+asyncpg://r/sb",
      "replica_max_lag_seconds": 0}, "above 0"),
])
def test_bad_replica_settings_are_refused_at_start(changes: dict, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        make_settings(**changes).validate()


async def test_a_replica_that_takes_connections_but_never_answers_is_passed_over(cluster) -> None:  # noqa: ANN001
    """A replica host that hangs (or a network that drops its packets): the TCP handshake succeeds, PostgreSQL's
    answer never comes. Reads go to the primary after the replica's short connect timeout, not after asyncpg's
    default of 60 s, during which every reader of the 台账 and the public pages would wait."""
    _primary, _replica, settings = cluster
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # the kernel completes the handshakes; nobody ever reads or writes
        port = silent.getsockname()[1]
        hung = settings.replace(database_replica_url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/servicebank")
        db, client = await _app_client(hung)
        async with client:
            await _add_community(db, "挂起时社区")
            names = await asyncio.wait_for(_names(client), timeout=30)
            assert "挂起时社区" in names
            assert replica_module.describe(db)["reachable"] is False
        await db.dispose()
