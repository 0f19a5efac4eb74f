"""The web pages' own rules over HTTP: CSRF, login redirects, safe `next`, headers, plain-word errors."""

from __future__ import annotations

import pytest

from servicebank.accounts.models import Role
from servicebank.web.guard import safe_next
from tests.factories import PASSWORD, make_org, make_person

# Web-layer rules (forms, cookies, headers): the database behind them is exercised by the domains' own tests
# on both backends, so one backend keeps this module quick.
pytestmark = [pytest.mark.sqlite_only]


async def _csrf(client) -> str:  # noqa: ANN001
    await client.get("/login")
    return client.cookies.get("sb_csrf")


async def _login(client, login: str) -> None:  # noqa: ANN001
    token = await _csrf(client)
    response = await client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.text


@pytest.mark.parametrize("url, expected", [
    ("/c/abc", "/c/abc"), ("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil", "/"),
    ("", "/"), (None, "/"),
])
def test_next_only_goes_to_our_own_paths(url, expected) -> None:  # noqa: ANN001
    assert safe_next(url) == expected


async def test_pages_carry_security_headers_and_a_title(client) -> None:  # noqa: ANN001
    response = await client.get("/login")
    assert response.status_code == 200
    assert "<title>登录 · 志愿服务银行</title>" in response.text
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=(self)" in headers["permissions-policy"]  # the QR scanner (static/scan.js)
    assert "sb_csrf" in response.headers.get("set-cookie", "")


async def test_form_posts_without_the_csrf_token_are_refused(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    token = await _csrf(client)
    refused = await client.post("/login", data={"login": organiser.user.username, "password": PASSWORD})
    assert refused.status_code == 403 and "页面已过期" in refused.text
    wrong = await client.post("/login", data={"login": organiser.user.username, "password": PASSWORD,
                                              "csrf_token": token + "x"})
    assert wrong.status_code == 403
    header = await client.post("/login", data={"login": organiser.user.username, "password": PASSWORD},
                               headers={"X-CSRF-Token": token})
    assert header.status_code == 303 and header.headers["location"] == "/manage"
    assert "sb_session" in header.headers.get("set-cookie", "")
    assert "httponly" in header.headers["set-cookie"].lower()


async def test_wrong_password_says_so_in_plain_words(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    token = await _csrf(client)
    response = await client.post("/login", data={"login": volunteer.user.phone, "password": "nope-nope",
                                                  "csrf_token": token})
    assert response.status_code == 401
    assert "手机号/用户名或密码不对" in response.text


async def test_scan_page_sends_strangers_to_login_and_back(client, session) -> None:  # noqa: ANN001
    response = await client.get("/c/i.1.2.sig", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fc%2Fi.1.2.sig"
    form = await client.get(response.headers["location"])
    assert 'name="next" value="/c/i.1.2.sig"' in form.text
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    token = await _csrf(client)
    login = await client.post("/login", data={"login": volunteer.user.phone, "password": PASSWORD,
                                              "next": "/c/i.1.2.sig", "csrf_token": token})
    assert login.headers["location"] == "/c/i.1.2.sig"


async def test_a_forged_code_is_explained_not_a_crash(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    await _login(client, volunteer.user.phone)
    page = await client.get("/c/i.1.2.forged")
    assert page.status_code == 200
    assert "这不是我们的签到码" in page.text and 'class="huge' not in page.text
    token = client.cookies.get("sb_csrf")
    posted = await client.post("/c/i.1.2.forged", data={"csrf_token": token})
    assert posted.status_code == 409 and "这不是我们的签到码" in posted.text


async def test_landing_sends_each_role_home(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    anonymous = await client.get("/")
    assert anonymous.status_code == 200 and org.community.name in anonymous.text
    await _login(client, volunteer.user.phone)
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/me"


async def test_staff_pages_refuse_volunteers_in_plain_words(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    await _login(client, volunteer.user.phone)
    response = await client.get("/manage")
    # Said in words (issue 17), not "page not found": /manage is for community staff.
    assert response.status_code == 403 and "<title>" in response.text and "这部分是社区工作人员" in response.text
    till = await client.get("/till/999")
    assert till.status_code == 404


async def test_english_is_one_cookie_away(client) -> None:  # noqa: ANN001
    token = await _csrf(client)
    switched = await client.post("/prefs", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    page = await client.get("/login")
    assert "<title>Log in · Service Bank</title>" in page.text and 'lang="en"' in page.text
