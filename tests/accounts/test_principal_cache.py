"""Kept logins (accounts/principal_cache.py): served again only while nothing they were built from changed.

Each test first proves the login is served from the cache (a change made behind SQLAlchemy's back, straight
through asyncpg, is not seen), then makes a change the normal way and checks the very next request obeys it.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from sqlalchemy import text, update

from servicebank.accounts import principal_cache
from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.accounts.principal import Principal
from servicebank.kernel.db import Database
from servicebank.volunteers.models import Volunteer, VolunteerStatus
from tests.factories import PASSWORD, make_org, make_person

pytestmark = pytest.mark.postgres_only  # the cache needs Redis


async def _synced(cache: principal_cache.PrincipalCache) -> None:
    """Wait until the cache's poller has read Redis's generation (it trusts nothing before)."""
    for _ in range(200):
        if time.monotonic() - cache.synced_at <= principal_cache.TRUST_SECONDS:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the principal cache never read the generation from Redis")


async def _behind_sqlalchemys_back(db: Database, sql: str, *args: object) -> None:
    connection = await db.read_connections().acquire()
    try:
        await connection.execute(sql, *args)
    finally:
        db.read_connections().release(connection)


_renames = itertools.count()


async def _kept(client, db: Database, headers: dict[str, str], user_id: int) -> None:  # noqa: ANN001
    """Make the login kept, then prove the next request is answered from what is kept."""
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200  # starts the poller
    cache = principal_cache.cache_for(db)
    assert cache is not None and cache.enabled
    await _synced(cache)
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200  # read and kept
    unseen = f"unseen {next(_renames)}"
    await _behind_sqlalchemys_back(db, "UPDATE app_user SET display_name = $2 WHERE id = $1", user_id, unseen)
    me = await client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["display_name"] != unseen, "not served from the cache"


async def test_logout_ends_a_kept_login_at_the_next_request(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    person = await make_person(session, Role.ORGANISER, community=org.community)
    await _kept(client, db, person.headers, person.user.id)
    assert (await client.post("/api/auth/logout", headers=person.headers)).status_code == 204
    client.cookies.clear()
    assert (await client.get("/api/auth/me", headers=person.headers)).status_code == 401


async def test_password_change_ends_the_other_kept_logins(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    person = await make_person(session, Role.ORGANISER, community=org.community)
    other = {"Authorization": "Bearer " + (await client.post(
        "/api/auth/login", json={"login": person.user.username, "password": PASSWORD})).json()["token"]}
    client.cookies.clear()
    await _kept(client, db, other, person.user.id)
    assert (await client.post("/api/auth/password", headers=person.headers,
                              json={"current_password": PASSWORD, "new_password": "new-pass-123"})).status_code == 204
    assert (await client.get("/api/auth/me", headers=other)).status_code == 401
    assert (await client.get("/api/auth/me", headers=person.headers)).status_code == 200


async def test_disabling_a_login_and_removing_a_grant_take_effect_at_once(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    admin = await make_person(session, Role.STREET_ADMIN, street=org.street)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    clerk = await make_person(session, Role.ORGANISER, community=org.community)
    await _kept(client, db, organiser.headers, organiser.user.id)
    await _kept(client, db, clerk.headers, clerk.user.id)
    staff = f"/api/users?community_id={org.community.id}"
    assert (await client.get(staff, headers=clerk.headers)).status_code == 200
    grant_id = (await session.execute(text("SELECT id FROM role_grant WHERE user_id = :u"),
                                      {"u": clerk.user.id})).scalar_one()
    await session.commit()
    assert (await client.delete(f"/api/users/grants/{grant_id}", headers=admin.headers)).status_code == 204
    assert (await client.get(staff, headers=clerk.headers)).status_code in (403, 404)
    disabled = await client.post(f"/api/users/{organiser.user.id}/disable", headers=admin.headers, json={})
    assert disabled.status_code == 200
    assert (await client.get("/api/auth/me", headers=organiser.headers)).status_code == 401


async def test_changes_made_in_a_session_are_seen_by_the_next_request(client, session, db) -> None:  # noqa: ANN001
    """Whatever writes the rows (a service, the CLI, text SQL), the kept logins of this process are forgotten."""
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await _kept(client, db, volunteer.headers, volunteer.user.id)
    await session.execute(update(Volunteer).where(Volunteer.id == volunteer.volunteer.id)
                          .values(status=VolunteerStatus.SUSPENDED))
    await session.commit()
    me = (await client.get("/api/auth/me", headers=volunteer.headers)).json()
    assert (me["volunteer_status"], me["volunteer_community_id"]) == (VolunteerStatus.SUSPENDED, None)
    await _kept(client, db, organiser.headers, organiser.user.id)
    await session.execute(text("UPDATE role_grant SET community_id = NULL, role = 'store_clerk' WHERE user_id = :u"),
                          {"u": organiser.user.id})
    await session.commit()
    assert (await client.get(f"/api/users?community_id={org.community.id}", headers=organiser.headers)
            ).status_code in (403, 404)
    await _kept(client, db, organiser.headers, organiser.user.id)
    async with db.sessionmaker() as other, other.begin():  # committed past UnitOfWork.commit: the event still sees it
        user = await other.get(User, organiser.user.id)
        assert user is not None
        user.is_active = False
    assert (await client.get("/api/auth/me", headers=organiser.headers)).status_code == 401


async def test_a_change_made_by_another_process_is_seen_after_its_poll(client, session, db, settings) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await _kept(client, db, organiser.headers, organiser.user.id)
    cache = principal_cache.cache_for(db)
    assert cache is not None
    other = Database(settings)  # another API process or the CLI: its own cache, the same Redis
    try:
        async with other.session_scope() as s:
            await s.execute(update(RoleGrant).where(RoleGrant.user_id == organiser.user.id)
                            .values(community_id=None, role=Role.STORE_CLERK))
    finally:
        await other.dispose()
    generation = cache.generation
    for _ in range(200):  # this process's poller sees the bumped generation and forgets what it kept
        if cache.generation != generation:
            break
        await asyncio.sleep(0.02)
    assert cache.generation != generation
    assert (await client.get(f"/api/users?community_id={org.community.id}", headers=organiser.headers)
            ).status_code in (403, 404)


async def test_nothing_is_served_while_the_generation_cannot_be_read() -> None:
    cache = principal_cache.PrincipalCache(redis_url="redis://127.0.0.1:1/0", seconds=30)
    import datetime as dt

    principal = Principal(user_id=1, display_name="x", grants=())
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    cache.observe(b"7")
    cache.put("h", principal, generation=cache.generation, expires_at=later)
    cache._poller_loop = asyncio.get_running_loop()  # noqa: SLF001 - as if polling had started here
    cache._poller = asyncio.get_running_loop().create_task(asyncio.sleep(3600))  # noqa: SLF001
    try:
        assert cache.get("h") is principal
        cache.synced_at -= principal_cache.TRUST_SECONDS + 1  # the poller has not read Redis for too long
        assert cache.get("h") is None
        cache.observe(b"7")
        assert cache.get("h") is principal
        stale = cache.generation
        cache.observe(b"8")  # another process bumped the generation: everything kept is forgotten
        assert cache.get("h") is None
        cache.put("h", principal, generation=stale, expires_at=later)  # read before the bump: never kept
        assert cache.get("h") is None
        cache.put("h", principal, generation=cache.generation, expires_at=dt.datetime.now(dt.UTC))
        assert cache.get("h") is None  # the session expired
    finally:
        cache._poller.cancel()  # noqa: SLF001
