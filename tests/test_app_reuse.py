"""The test suite builds one app per process and gives each test fresh state (tests/conftest.py `app`).

That is only sound while every request reads the database and the settings from `app.state`, never from
what create_app was given; these tests fail if a handler or middleware keeps the first ones."""

from __future__ import annotations

import httpx
from litestar.datastructures import State

from servicebank import registry
from servicebank.app import create_app
from servicebank.kernel.db import Database
from tests.conftest import make_settings
from tests.factories import make_org


async def _public_names(app, db: Database, settings) -> list[str]:  # noqa: ANN001
    app.state = State({"db": db, "settings": settings})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        answer = await client.get("/api/communities/public")
    assert answer.status_code == 200, answer.text
    return [c["name"] for c in answer.json()]


async def test_requests_use_the_database_and_settings_in_the_app_state(tmp_path) -> None:  # noqa: ANN001
    first_settings = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'first.db'}",
                                   public_url="http://first.example")
    second_settings = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'second.db'}",
                                    public_url="http://second.example")
    first, second = Database(first_settings), Database(second_settings)
    try:
        for db in (first, second):
            await registry.create_tables(db)
        async with second.sessionmaker() as session:
            org = await make_org(session)
            await session.commit()
        app = create_app(first_settings, db=first)
        assert await _public_names(app, first, first_settings) == []
        assert org.community.name in await _public_names(app, second, second_settings)

        # The origin check reads the public address from the state too: now the second one's, not the first.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            refused = await client.post("/api/auth/login", json={"login": "x", "password": "y"},
                                        headers={"Origin": "http://first.example"})
            allowed = await client.post("/api/auth/login", json={"login": "x", "password": "y"},
                                        headers={"Origin": "http://second.example"})
        assert refused.status_code == 403, refused.text
        assert allowed.status_code != 403, allowed.text
    finally:
        await first.dispose()
        await second.dispose()
