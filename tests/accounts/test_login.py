"""Login by phone or username, the session cookie, password change, staff grants (limits: test_login_limits)."""

from __future__ import annotations

from servicebank.accounts.models import Role
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
