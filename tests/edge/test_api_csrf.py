"""Cookie-authenticated writes to /api: our origin and the session's CSRF token, JSON only; bearer clients as
before. Each refusal over HTTP, and the proof that nothing was created."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import Role, User
from servicebank.edge.csrf import token_for_session
from tests.conftest import TEST_SECRET
from tests.factories import make_person

# The rules read headers and cookies only; the database behind them is the domains' business.
pytestmark = [pytest.mark.sqlite_only]

OURS = "http://testserver"
NEW_ADMIN = {"display_name": "冒名管理员", "username": "mallory", "password": "long-enough-1", "role": "platform_admin"}


async def _admin_cookie(client, session) -> tuple[str, str]:  # noqa: ANN001
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    await session.commit()
    client.cookies.set("sb_session", admin.token)
    return admin.token, token_for_session(TEST_SECRET, admin.token)


async def _mallory_exists(session) -> bool:  # noqa: ANN001
    return bool(await session.scalar(select(func.count()).select_from(User).where(User.username == "mallory")))


@pytest.mark.parametrize("headers, code", [
    ({"origin": "http://127.0.0.1:9999"}, "cross_origin_refused"),  # another port: same site, not same origin
    ({"origin": "http://evil.testserver"}, "cross_origin_refused"),  # a sibling subdomain
    ({"origin": "null"}, "cross_origin_refused"),  # a sandboxed frame or a data: page
    ({"sec-fetch-site": "same-site"}, "cross_origin_refused"),
    ({}, "cross_origin_refused"),  # neither Origin nor Sec-Fetch-Site: not a page of ours
    ({"origin": OURS}, "csrf_failed"),  # our origin, no token
    ({"origin": OURS, "x-csrf-token": "0" * 64}, "csrf_failed"),  # a wrong token
])
async def test_cookie_write_without_origin_or_token_is_refused(client, session, headers, code) -> None:  # noqa: ANN001
    await _admin_cookie(client, session)
    response = await client.post("/api/users", json=NEW_ADMIN, headers=headers)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == code
    assert not await _mallory_exists(session)


async def test_a_token_of_another_session_is_refused(client, session) -> None:  # noqa: ANN001
    await _admin_cookie(client, session)
    other = await make_person(session, Role.PLATFORM_ADMIN)
    await session.commit()
    response = await client.post("/api/users", json=NEW_ADMIN, headers={
        "origin": OURS, "x-csrf-token": token_for_session(TEST_SECRET, other.token)})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


async def test_our_page_with_the_token_may_write(client, session) -> None:  # noqa: ANN001
    _, token = await _admin_cookie(client, session)
    for n, headers in enumerate(({"origin": OURS, "x-csrf-token": token},
                                 {"sec-fetch-site": "same-origin", "x-csrf-token": token})):
        created = await client.post("/api/users", json={**NEW_ADMIN, "username": f"ours{n}"}, headers=headers)
        assert created.status_code == 201, created.text


async def test_the_token_in_the_page_is_the_one_the_api_takes(client, session) -> None:  # noqa: ANN001
    _, token = await _admin_cookie(client, session)
    page = await client.get("/leaderboard")
    assert f'<meta name="csrf-token" content="{token}">' in page.text


async def test_bearer_clients_need_neither_origin_nor_token(client, session) -> None:  # noqa: ANN001
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    await session.commit()
    client.cookies.set("sb_session", admin.token)  # a cookie too: the bearer token is what authenticates
    created = await client.post("/api/users", json=NEW_ADMIN, headers={
        "authorization": f"Bearer {admin.token}", "origin": "http://elsewhere.example"})
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("content_type, body", [
    ("text/plain", '{"display_name": "x", "password": "long-enough-1", "role": "platform_admin"}'),
    ("application/x-www-form-urlencoded", '{"display_name": "x"}=&a=b'),
    ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n"),
    ("", "{}"),
])
async def test_json_endpoints_refuse_other_content_types(client, session, content_type, body) -> None:  # noqa: ANN001
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    await session.commit()
    headers = {"authorization": f"Bearer {admin.token}", "content-type": content_type}
    response = await client.post("/api/users", content=body.encode(), headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "unsupported_media_type"
    assert not await _mallory_exists(session)


async def test_json_with_a_suffix_and_charset_is_json(client, session) -> None:  # noqa: ANN001
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    await session.commit()
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post("/api/users", content=b'{"display_name": "x"}', headers={
            "authorization": f"Bearer {admin.token}", "content-type": content_type})
        assert response.status_code == 400 and response.json()["code"] == "invalid_input"  # parsed, then validated


async def test_a_body_less_write_needs_no_content_type(client, session) -> None:  # noqa: ANN001
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    await session.commit()
    response = await client.post("/api/auth/logout", headers={"authorization": f"Bearer {admin.token}"})
    assert response.status_code == 204
