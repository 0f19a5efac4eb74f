"""The pages' CSRF token belongs to the login session; the objection limit is one for page and API; a
refused objection on the page is a Chinese message, not a crash; pages name their charset once."""

from __future__ import annotations

import pytest

from servicebank.accounts.models import Role
from tests.factories import PASSWORD, make_list_in_notice, make_org, make_person
from tests.web.pages import log_in


async def _page_token(client) -> str:  # noqa: ANN001
    page = await client.get("/leaderboard")
    return page.text.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]


@pytest.mark.sqlite_only
async def test_a_token_from_another_session_is_refused(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    alice = await make_person(session, Role.VOLUNTEER, community=org.community)
    mallory = await make_person(session, Role.VOLUNTEER, community=org.community)
    await session.commit()
    await log_in(client, mallory)
    mallorys_token = await _page_token(client)
    await log_in(client, alice)
    alices_token = await _page_token(client)
    assert alices_token != mallorys_token
    refused = await client.post("/prefs", data={"lang": "en", "csrf_token": mallorys_token})
    assert refused.status_code == 403 and "页面已过期" in refused.text
    accepted = await client.post("/prefs", data={"lang": "en", "csrf_token": alices_token})
    assert accepted.status_code == 303


@pytest.mark.sqlite_only
async def test_login_rotates_the_token(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await session.commit()
    before = await _page_token(client)
    logged_in = await client.post("/login", data={"login": organiser.user.username, "password": PASSWORD,
                                                  "csrf_token": before})
    assert logged_in.status_code == 303
    assert client.cookies.get("sb_csrf") != before  # the login response carries the new session's token
    after = await _page_token(client)
    assert after != before and after == client.cookies.get("sb_csrf")
    stale = await client.post("/prefs", data={"lang": "en", "csrf_token": before})
    assert stale.status_code == 403


@pytest.mark.sqlite_only
async def test_pages_name_their_charset_once(client) -> None:  # noqa: ANN001
    response = await client.get("/login")
    assert response.headers["content-type"] == "text/html; charset=utf-8"


async def test_page_and_api_objections_share_one_limit_and_the_page_says_no_in_chinese(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    honour_list = await make_list_in_notice(session, org.community)
    await session.commit()
    await client.get(f"/public/communities/{org.community.id}/honours")
    form = {"name": "居民老马", "text": "名单上的时长和我看到的不一样", "csrf_token": client.cookies.get("sb_csrf")}
    url = f"/public/honours/{honour_list.id}/objections"
    for _ in range(5):
        assert (await client.post(url, data=form)).status_code == 303
    by_api = await client.post(f"/api/public/honours/{honour_list.id}/objections",
                               json={"name": "居民老马", "text": "名单上的时长和我看到的不一样"})
    assert by_api.status_code == 429 and by_api.json()["code"] == "objection_rate_limited"
    on_page = await client.post(url, data=form)
    assert on_page.status_code == 429, on_page.text[:300]
    assert "一小时内从这个网络提交的异议太多了" in on_page.text and "十月光荣榜" in on_page.text
