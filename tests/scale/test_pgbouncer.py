"""Through a real PgBouncer (the Debian package) in transaction mode with two server connections shared by
every client: check-ins racing for the last places, logins and reads sent straight to asyncpg, the scheduler's
lock. Without SERVICEBANK_DB_PGBOUNCER the same load fails (prepared statements of one transaction missing in
the next), which shows the pool really shares its connections."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from servicebank.accounts.models import Role
from servicebank.app import create_app
from servicebank.config import Settings, SettingsError
from servicebank.kernel.db import Database
from servicebank.workers.scheduler import Leadership
from tests.checkins.helpers import code, scene
from tests.conftest import _server_or_fail, make_settings
from tests.factories import make_person
from tests.scale.conftest import postgres_with_schema
from tests.servers import PgBouncerServer, PostgresServer

pytestmark = [pytest.mark.postgres_only]


@pytest.fixture(scope="module")
def bouncer() -> Iterator[tuple[PostgresServer, PgBouncerServer]]:
    postgres = postgres_with_schema()
    pgbouncer = _server_or_fail(lambda: PgBouncerServer(postgres, pool_size=2), "PgBouncer")
    yield postgres, pgbouncer
    pgbouncer.close()
    postgres.close()


def _settings(bouncer, redis_server, **changes: object) -> Settings:  # noqa: ANN001
    postgres, pgbouncer = bouncer
    return make_settings(**{"database_url": pgbouncer.url("servicebank"), "redis_url": redis_server.url,
                            "db_pgbouncer": True, "scheduler_database_url": postgres.url("servicebank"), **changes})


async def _load(settings: Settings) -> list[int]:
    """Fifteen walk-ins racing for two places, then everyone's own page and account, three times over, at once."""
    db = Database(settings)
    app = create_app(settings, db=db)
    async with db.session_scope() as session:
        s = await scene(session, capacity=3)
        walkers = [await make_person(session, Role.VOLUNTEER, community=s.org.community) for _ in range(15)]
    statuses: list[int] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        token = code(settings, s.activity.id)
        check_ins = await asyncio.gather(*(
            client.post("/api/check-ins", json={"token": token}, headers=w.headers) for w in walkers),
            return_exceptions=True)
        reads = await asyncio.gather(*(
            client.get(path, headers=w.headers) for w in walkers for path in ("/api/volunteers/me",
                                                                              f"/api/volunteers/{w.volunteer.id}/account") * 3),
            return_exceptions=True)
        for answer in [*check_ins, *reads]:
            statuses.append(answer.status_code if isinstance(answer, httpx.Response) else 599)
        if all(s < 500 for s in statuses):
            assert sorted(r.status_code for r in check_ins[:15]) == [201] * 2 + [409] * 13  # type: ignore[union-attr]
    await db.dispose()
    return statuses


async def test_the_app_works_through_pgbouncer_in_transaction_mode(bouncer, redis_server) -> None:  # noqa: ANN001
    statuses = await _load(_settings(bouncer, redis_server))
    assert [s for s in statuses if s >= 500] == []
    assert statuses.count(201) == 2 and statuses.count(409) == 13
    assert statuses[15:] == [200] * 90


async def test_without_the_setting_the_shared_connections_break_prepared_statements(bouncer, redis_server) -> None:  # noqa: ANN001
    statuses = await _load(_settings(bouncer, redis_server, db_pgbouncer=False))
    assert any(s >= 500 for s in statuses), "PgBouncer shared no server connection between transactions"


async def test_the_scheduler_leads_through_its_own_connection(bouncer, redis_server) -> None:  # noqa: ANN001
    settings = _settings(bouncer, redis_server)
    first_db, second_db = Database(settings), Database(settings)
    first, second = Leadership(first_db), Leadership(second_db)
    try:
        assert await first.acquire() is True
        assert await second.acquire() is False, "one leader at a time"
        assert await first.still_held() is True
        await first.release()
        assert await second.acquire() is True
    finally:
        await first.release()
        await second.release()
        await first_db.dispose()
        await second_db.dispose()


def test_pgbouncer_without_a_scheduler_connection_is_refused() -> None:
    settings = make_settings(database_url="postgresql+asyncpg://sb@127.0.0.1:6432/sb", db_pgbouncer=True)
    with pytest.raises(SettingsError, match="SERVICEBANK_SCHEDULER_DATABASE_URL"):
        settings.validate()
