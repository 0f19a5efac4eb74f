"""Login limits: free tries, then a growing wait per account and per address; atomic under concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update

from servicebank.accounts import ratelimit
from servicebank.accounts.models import LoginThrottle, Role
from servicebank.kernel.errors import TooManyRequests
from tests.conftest import app_for
from tests.factories import PASSWORD, make_org, make_person

LOGIN = "/api/auth/login"
NAT = {"X-Forwarded-For": "198.51.100.10"}  # a community centre's one shared connection
ELSEWHERE = {"X-Forwarded-For": "203.0.113.20"}
# Over HTTP the first wait is a minute, not a second: a slow machine must not let a wait run out
# between two requests of a test (the real schedule is tested with a clock of the test's own).
pytestmark = pytest.mark.usefixtures("first_wait_a_minute")


@pytest.fixture
def first_wait_a_minute(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(ratelimit, "FIRST_WAIT_SECONDS", 60)


@pytest.fixture
async def proxied(settings, db) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    """A client behind our trusted proxy, so each request can come from the address it names."""
    app = app_for(settings.replace(trusted_proxies=("127.0.0.1",)), db)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _try(client: httpx.AsyncClient, login: str, password: str = "wrong-password",
               headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.post(LOGIN, json={"login": login, "password": password}, headers=headers)


async def _time_passes(db) -> None:  # noqa: ANN001
    """Every wait so far is over (instead of sleeping through it)."""
    async with db.session_scope() as s:
        await s.execute(update(LoginThrottle).values(blocked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))


def test_the_wait_grows_from_one_second_to_fifteen_minutes(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(ratelimit, "FIRST_WAIT_SECONDS", 1)
    free = ratelimit.FREE_FAILURES_PER_ACCOUNT
    assert [ratelimit.wait_after(n, free=free) for n in range(free)] == [0] * free
    waits = [ratelimit.wait_after(n, free=free) for n in range(free, free + 13)]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert ratelimit.wait_after(10_000, free=free) == 15 * 60


async def test_five_failures_then_each_try_waits_and_success_starts_again(client, session, db) -> None:  # noqa: ANN001
    person = await make_person(session, Role.VOLUNTEER, community=(await make_org(session)).community)
    for _ in range(ratelimit.FREE_FAILURES_PER_ACCOUNT):
        assert (await _try(client, person.user.phone)).json()["code"] == "invalid_credentials"
    # The right password too waits its turn: the limit is on tries, not on wrong ones.
    refused = await _try(client, person.user.phone, PASSWORD)
    assert (refused.status_code, refused.json()["code"]) == (429, "login_rate_limited")
    assert 50 <= int(refused.headers["retry-after"]) <= 60 and 50 <= refused.json()["retry_after"] <= 60
    await _time_passes(db)
    assert (await _try(client, person.user.phone, PASSWORD)).status_code == 200
    # Success cleared the account: the free tries are there again.
    for _ in range(ratelimit.FREE_FAILURES_PER_ACCOUNT - 1):
        assert (await _try(client, person.user.phone)).status_code == 401
    assert (await _try(client, person.user.phone, PASSWORD)).status_code == 200


async def test_phone_and_username_of_one_account_share_its_count(client, session) -> None:  # noqa: ANN001
    person = await make_person(session, Role.VOLUNTEER, community=(await make_org(session)).community)
    for n in range(ratelimit.FREE_FAILURES_PER_ACCOUNT):
        await _try(client, person.user.phone if n % 2 else person.user.username)
    assert (await _try(client, person.user.username, PASSWORD)).status_code == 429


async def test_each_further_failure_doubles_the_wait_and_an_idle_hour_forgets(db, session,
                                                                              monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(ratelimit, "FIRST_WAIT_SECONDS", 1)
    person = await make_person(session, Role.VOLUNTEER, community=(await make_org(session)).community)
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

    async def turn(at: dt.datetime) -> None:
        async with db.session_scope() as s:
            await ratelimit.take_turn(s, login=person.user.username, client_ip="198.51.100.1", now=at)

    waits: list[int] = []
    while len(waits) < 11:
        await turn(now)
        try:
            await turn(now)
        except TooManyRequests as refused:
            wait = refused.extra["retry_after"]
            waits.append(wait)
            with pytest.raises(TooManyRequests):  # one second early is still too early
                await turn(now + dt.timedelta(seconds=wait - 1))
            now += dt.timedelta(seconds=wait)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
    # An hour after the last failure the count starts again: the next failure sets no wait.
    await turn(now + dt.timedelta(seconds=900) + ratelimit.FORGET_AFTER)
    await turn(now + dt.timedelta(seconds=900) + ratelimit.FORGET_AFTER)


async def test_the_right_password_from_another_address_still_waits(proxied, session) -> None:  # noqa: ANN001
    person = await make_person(session, Role.VOLUNTEER, community=(await make_org(session)).community)
    for _ in range(ratelimit.FREE_FAILURES_PER_ACCOUNT):
        await _try(proxied, person.user.username, headers=NAT)
    refused = await _try(proxied, person.user.username, PASSWORD, headers=ELSEWHERE)
    assert (refused.status_code, refused.json()["code"]) == (429, "login_rate_limited")


async def test_people_mistyping_never_shut_out_their_neighbours(proxied, session, db) -> None:  # noqa: ANN001
    # Five volunteers behind one NAT each get their password wrong until they must wait (and then
    # some): they wait, the organiser at the next desk logs in at once.
    org = await make_org(session)
    clumsy = [await make_person(session, Role.VOLUNTEER, community=org.community) for _ in range(5)]
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    for person in clumsy:
        for _ in range(ratelimit.FREE_FAILURES_PER_ACCOUNT + 2):
            await _try(proxied, person.user.username, headers=NAT)
    assert (await _try(proxied, clumsy[0].user.username, PASSWORD, headers=NAT)).status_code == 429
    assert (await _try(proxied, organiser.user.username, PASSWORD, headers=NAT)).status_code == 200


async def test_many_failures_from_one_address_slow_only_that_address(proxied, session, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(ratelimit, "FREE_FAILURES_PER_ADDRESS", 8)
    person = await make_person(session, Role.VOLUNTEER, community=(await make_org(session)).community)
    for n in range(8):
        assert (await _try(proxied, f"guess{n}", headers=NAT)).status_code == 401
    refused = await _try(proxied, person.user.username, PASSWORD, headers=NAT)
    assert (refused.status_code, refused.json()["code"]) == (429, "login_rate_limited")
    # The wait counts down from 60 s while the test runs (a loaded machine takes a few seconds).
    assert 50 <= int(refused.headers["retry-after"]) <= 60
    assert (await _try(proxied, person.user.username, PASSWORD, headers=ELSEWHERE)).status_code == 200


async def test_successful_logins_never_use_up_the_address(proxied, session, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(ratelimit, "FREE_FAILURES_PER_ADDRESS", 3)
    org = await make_org(session)
    people = [await make_person(session, Role.VOLUNTEER, community=org.community) for _ in range(6)]
    for person in people:
        assert (await _try(proxied, person.user.username, PASSWORD, headers=NAT)).status_code == 200


@pytest.mark.postgres_only
async def test_sixty_simultaneous_wrong_passwords_get_exactly_the_free_tries(client, session) -> None:  # noqa: ANN001
    person = await make_person(session, Role.VOLUNTEER, community=(await make_org(session)).community)
    responses = await asyncio.gather(*(_try(client, person.user.phone) for _ in range(60)))
    assert sorted(r.status_code for r in responses) == [401] * ratelimit.FREE_FAILURES_PER_ACCOUNT + [429] * (
        60 - ratelimit.FREE_FAILURES_PER_ACCOUNT)
    assert {r.json()["code"] for r in responses if r.status_code == 429} == {"login_rate_limited"}


@pytest.mark.postgres_only
async def test_simultaneous_failures_from_one_address_get_exactly_its_free_tries(client, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(ratelimit, "FREE_FAILURES_PER_ADDRESS", 20)
    responses = await asyncio.gather(*(_try(client, f"guess{n}") for n in range(60)))
    assert sorted(r.status_code for r in responses) == [401] * 20 + [429] * 40


async def test_the_login_page_says_how_long_to_wait_in_chinese(client, session, db) -> None:  # noqa: ANN001
    person = await make_person(session, Role.VOLUNTEER, community=(await make_org(session)).community)
    for _ in range(ratelimit.FREE_FAILURES_PER_ACCOUNT):
        await _try(client, person.user.phone)
    await client.get("/login")
    page = await client.post("/login", data={"login": person.user.phone, "password": PASSWORD,
                                              "csrf_token": client.cookies.get("sb_csrf")})
    wait = int(page.headers["retry-after"])
    assert page.status_code == 429 and 50 <= wait <= 60
    # The wait counts down while the test runs (seconds pass on a loaded machine): 60 s reads as a minute.
    said = "1 分钟" if wait == 60 else f"{wait} 秒"
    assert f"输错次数太多，请等待 {said}后再试。" in page.text
