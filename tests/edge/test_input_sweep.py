"""Input no column can hold (a NUL, a whole number beyond 64 bits) is refused at the edge with 400
`invalid_input`, the same on SQLite and PostgreSQL, anonymously and logged in, over API and pages."""

from __future__ import annotations

from servicebank.accounts.models import Role
from tests.factories import make_org, make_person
from tests.web.pages import log_in, post

BIG = str(2**63)  # one past the largest BIGINT
SMALL = str(-(2**63) - 1)
NUL = "\x00"

ANONYMOUS = [
    ("GET", f"/api/activities/{BIG}", None),
    ("GET", f"/api/public/honours/{BIG}", None),
    ("GET", f"/api/public/honours/{SMALL}", None),
    ("GET", "/api/public/certificates/ZS-1%00", {"params": {"code": "x"}}),
    ("GET", "/api/public/certificates/ZS-1", {"params": {"code": "a" + NUL}}),
    ("POST", "/api/auth/login", {"json": {"login": "admin" + NUL, "password": "whatever-1"}}),
    ("POST", "/api/public/honours/1/objections", {"json": {"name": "居民", "text": "时长不对" + NUL}}),
    ("GET", f"/public/communities/{BIG}", None),
    ("GET", "/verify", {"params": {"number": "ZS" + NUL, "code": "x"}}),
    ("GET", "/login", {"params": {"next": "/me" + NUL}}),
]

LOGGED_IN = [
    ("GET", "/api/volunteers", {"params": {"community_id": "{community}", "q": "张" + NUL}}),
    ("GET", "/api/users", {"params": {"community_id": BIG}}),
    ("GET", "/api/activities", {"params": {"community_id": BIG}}),
    ("GET", "/api/audit", {"params": {"limit": BIG}}),
    ("POST", "/api/activities", {"json": {"community_id": "{community}", "title": "读书会" + NUL}}),
    ("POST", "/api/transfers", {"json": {"amount": 10, "idempotency_key": "k" + NUL, "to_pool_community_id": 1}}),
    ("POST", "/api/transfers", {"json": {"amount": 10, "idempotency_key": "k", "to_volunteer_id": 2**63}}),
    ("POST", "/api/transfers", {"json": {"amount": -(2**63) - 1, "idempotency_key": "k",
                                         "to_pool_community_id": 1}}),
    ("PATCH", f"/api/activities/{BIG}", {"json": {"title": "x"}}),
    ("GET", f"/manage?community={BIG}", None),
]


def _fill(value, community: int):  # noqa: ANN001, ANN202
    if isinstance(value, dict):
        return {k: _fill(v, community) for k, v in value.items()}
    return community if value == "{community}" else value


def _refused(response) -> None:  # noqa: ANN001
    assert response.status_code == 400, response.text[:500]
    if response.headers["content-type"].startswith("application/problem+json"):
        assert response.json()["code"] == "invalid_input"
    else:
        assert "请检查" in response.text  # the page says it in plain Chinese


async def test_anonymous_requests_with_nul_or_huge_ids_get_400(client) -> None:  # noqa: ANN001
    for method, url, kwargs in ANONYMOUS:
        _refused(await client.request(method, url, **(kwargs or {})))


async def test_logged_in_requests_with_nul_or_huge_numbers_get_400(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    await session.commit()
    for method, url, kwargs in LOGGED_IN:
        kwargs = _fill(kwargs or {}, org.community.id)
        response = await client.request(method, url, headers=admin.headers, **kwargs)
        _refused(response)


async def test_page_forms_with_nul_or_huge_numbers_get_400(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await session.commit()
    await log_in(client, organiser)
    _refused(await post(client, "/manage/honours/generate", {"community_id": BIG, "month": "2026-10"}))
    _refused(await post(client, "/manage/honours/generate", {"community_id": str(org.community.id),
                                                             "month": "2026-10" + NUL}))


async def test_login_form_with_a_nul_gets_400_not_500(client) -> None:  # noqa: ANN001
    await client.get("/login")
    _refused(await client.post("/login", data={"login": "a" + NUL, "password": "x",
                                               "csrf_token": client.cookies.get("sb_csrf")}))


async def test_nul_in_a_header_gets_400(client) -> None:  # noqa: ANN001
    _refused(await client.get("/api/public/honours/1", headers={"Idempotency-Key": "a\x00b"}))


async def test_the_largest_bigint_is_still_an_ordinary_not_found(client) -> None:  # noqa: ANN001
    response = await client.get(f"/api/public/honours/{2**63 - 1}")
    assert response.status_code == 404


async def test_a_form_body_is_read_whole_whenever_an_escape_could_hide_a_refused_field(client, session) -> None:  # noqa: ANN001
    """A plain form body (no `%`, no byte past ASCII, no run of 19 digits) is not parsed at the edge
    (inputs.form_may_hold_refused); every way of writing a NUL or a huge number still is, and is refused."""
    from servicebank.edge.inputs import form_may_hold_refused

    assert not form_may_hold_refused(b"csrf_token=ab12&latitude=31.2&longitude=121.47&n=922337203685477580")
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await session.commit()
    await log_in(client, organiser)
    token = client.cookies.get("sb_csrf")
    escaped_digits = "".join(f"%{ord(c):x}" for c in BIG)  # 9223372036854775808 written %39%32…
    fullwidth = "".join(chr(0xFF10 + int(c)) for c in BIG).encode()  # ９２２… counts as digits for int()
    for month in (f"2026-10&community_id={BIG}", f"2026-10&community_id={escaped_digits}",
                  "2026-10%00", "2026-10&community_id=" + "".join(f"%{b:02X}" for b in fullwidth)):
        body = f"csrf_token={token}&month={month}".encode()
        assert form_may_hold_refused(body)
        _refused(await client.post("/manage/honours/generate", content=body,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}))
