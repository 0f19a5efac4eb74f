"""Login by phone or username, the session cookie, the rate limit, password change, staff grants."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from servicebank.accounts import ratelimit
from servicebank.accounts.models import LoginAttempt, Role
from tests.factories import PASSWORD, make_org, make_person


async def test_login_sets_a_safe_session_cookie_usable_by_web_pages(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    person = await make_person(session, Role.ORGANISER, community=org.community)
    response = await client.post("/api/auth/login", json={"login": person.user.username, "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "sb_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # settings.secure_cookies is off in tests
    token = response.json()["token"]
    client.cookies.clear()
    me = await client.get("/api/auth/me", cookies={"sb_session": token})
    assert me.status_code == 200 and me.json()["user_id"] == person.user.id
    out = await client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 204 and "sb_session=" in out.headers["set-cookie"]
    client.cookies.clear()
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_five_failures_lock_the_login_with_retry_after(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    person = await make_person(session, Role.VOLUNTEER, community=org.community)
    phone = person.user.phone
    for _ in range(ratelimit.MAX_FAILURES_PER_LOGIN):
        wrong = await client.post("/api/auth/login", json={"login": phone, "password": "wrong-password"})
        assert wrong.json()["code"] == "invalid_credentials"
    locked = await client.post("/api/auth/login", json={"login": phone, "password": PASSWORD})
    assert (locked.status_code, locked.json()["code"]) == (429, "login_rate_limited")
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    # Once the failures are older than the window the login works again, and success clears the count.
    await session.execute(update(LoginAttempt).values(at=dt.datetime.now(dt.UTC) - ratelimit.WINDOW
                                                      - dt.timedelta(seconds=1)))
    await session.commit()
    assert (await client.post("/api/auth/login", json={"login": phone, "password": PASSWORD})).status_code == 200


async def test_success_resets_the_count(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    person = await make_person(session, Role.VOLUNTEER, community=org.community)
    login = person.user.username
    for _ in range(ratelimit.MAX_FAILURES_PER_LOGIN - 1):
        await client.post("/api/auth/login", json={"login": login, "password": "nope-nope"})
    assert (await client.post("/api/auth/login", json={"login": login, "password": PASSWORD})).status_code == 200
    for _ in range(ratelimit.MAX_FAILURES_PER_LOGIN - 1):
        await client.post("/api/auth/login", json={"login": login, "password": "nope-nope"})
    assert (await client.post("/api/auth/login", json={"login": login, "password": PASSWORD})).status_code == 200


async def test_many_failures_from_one_address_lock_that_address(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    person = await make_person(session, Role.VOLUNTEER, community=org.community)
    for n in range(ratelimit.MAX_FAILURES_PER_IP):
        await client.post("/api/auth/login", json={"login": f"guess{n}", "password": "whatever1"})
    locked = await client.post("/api/auth/login", json={"login": person.user.username, "password": PASSWORD})
    assert locked.json()["code"] == "login_rate_limited"


async def test_password_change_keeps_this_session_and_ends_the_others(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    person = await make_person(session, Role.ORGANISER, community=org.community)
    other = (await client.post("/api/auth/login", json={"login": person.user.username, "password": PASSWORD})
             ).json()["token"]
    client.cookies.clear()
    bad = await client.post("/api/auth/password", headers=person.headers,
                            json={"current_password": "wrong-one", "new_password": "new-pass-123"})
    assert (bad.status_code, bad.json()["code"]) == (403, "wrong_password")
    weak = await client.post("/api/auth/password", headers=person.headers,
                             json={"current_password": PASSWORD, "new_password": "short"})
    assert weak.json()["code"] == "weak_password"
    ok = await client.post("/api/auth/password", headers=person.headers,
                           json={"current_password": PASSWORD, "new_password": "new-pass-123"})
    assert ok.status_code == 204
    assert (await client.get("/api/auth/me", headers=person.headers)).status_code == 200
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {other}"})).status_code == 401
    relog = await client.post("/api/auth/login", json={"login": person.user.username, "password": "new-pass-123"})
    assert relog.status_code == 200


async def test_street_admin_appoints_organisers_only_in_their_street(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    elsewhere = await make_org(session)
    street = await make_person(session, Role.STREET_ADMIN, street=org.street)
    payload = {"display_name": "社工小王", "username": "xiaowang", "password": "first-pass-1", "role": "organiser",
               "community_id": org.community.id}
    created = await client.post("/api/users", headers=street.headers, json=payload)
    assert created.status_code == 201 and created.json()["grants"][0]["community_id"] == org.community.id
    again = await client.post("/api/users", headers=street.headers, json=payload)
    assert again.json()["code"] == "login_taken"
    foreign = await client.post("/api/users", headers=street.headers, json=payload | {
        "username": "other", "community_id": elsewhere.community.id})
    assert (foreign.status_code, foreign.json()["code"]) == (404, "community_not_found")
    admin = await client.post("/api/users", headers=street.headers, json=payload | {
        "username": "boss", "role": "platform_admin"})
    assert admin.json()["code"] == "admin_required"
    login = await client.post("/api/auth/login", json={"login": "xiaowang", "password": "first-pass-1"})
    assert login.json()["me"]["roles"] == ["organiser"]
