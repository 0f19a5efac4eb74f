"""`next` after login: only our own paths, judged after the forgiveness browsers apply to a Location."""

from __future__ import annotations

import pytest

from servicebank.accounts.models import Role
from servicebank.web.guard import safe_next
from tests.factories import PASSWORD, make_org, make_person

pytestmark = [pytest.mark.sqlite_only]

OFF_SITE = [
    "//evil.example", "///evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
    "/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example",
    "/%2F/evil.example", "/%2f%2fevil.example", "/%252F%252Fevil.example", "/%5Cevil.example", "/%5cevil.example",
    "/%255Cevil.example", "https://evil.example", "http:/evil.example", "javascript:alert(1)",
    "//evil.example@ours", " //evil.example", "\t//evil.example", "/\x00/evil.example", "/%00/x",
    "/\x7f/evil.example", "evil.example", "", None,
]


@pytest.mark.parametrize("url", OFF_SITE)
def test_nothing_off_site_survives(url) -> None:  # noqa: ANN001
    assert safe_next(url) == "/"


@pytest.mark.parametrize("url, expected", [
    ("/c/i.1.2.sig", "/c/i.1.2.sig"),
    ("/manage/volunteers?community=3&q=%E5%BC%A0", "/manage/volunteers?community=3&q=%E5%BC%A0"),
    ("/manage/volunteers?q=张 三", "/manage/volunteers?q=%E5%BC%A0%20%E4%B8%89"),  # a Location header is ASCII
    ("/me#family", "/me#family"),
])
def test_our_own_paths_go_through(url, expected) -> None:  # noqa: ANN001
    assert safe_next(url) == expected


async def test_a_tab_in_next_lands_at_home_not_off_site(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await session.commit()
    form = await client.get("/login", params={"next": "/\t/evil.example"})
    assert 'name="next" value=""' in form.text
    response = await client.post("/login", data={"login": organiser.user.username, "password": PASSWORD,
                                                 "next": "/%09/evil.example",
                                                 "csrf_token": client.cookies.get("sb_csrf")})
    assert response.status_code == 303 and response.headers["location"] == "/manage"


@pytest.mark.parametrize("bad", ["/me\r\nSet-Cookie: x=1", "/me\n", "/\u4e2d\u6587"])
async def test_a_logged_in_visit_with_a_newline_in_next_is_answered(client, session, bad) -> None:  # noqa: ANN001
    volunteer = await make_person(session, Role.VOLUNTEER, community=(await make_org(session)).community)
    await session.commit()
    client.cookies.set("sb_session", volunteer.token)
    response = await client.get("/login", params={"next": bad})
    assert response.status_code == 303
    assert "\n" not in response.headers["location"] and response.headers["location"].startswith("/")
