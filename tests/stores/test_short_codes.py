"""Short redemption codes (issue 17): 6 digits read aloud, valid 10 minutes, spent once, never telling a guesser
whether a wrong code belonged to someone, guesses limited per clerk and per address."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from servicebank.accounts.models import Role, User
from servicebank.accounts.sessions import load_principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError
from servicebank.stores import short_codes, till
from servicebank.stores.schemas import LineIn
from tests.factories import make_org, make_person
from tests.stores.support import assert_ledger_ok, credit, make_shop

ISSUE = "/api/me/redemption-codes"


async def _issue(client, person) -> dict:  # noqa: ANN001
    response = await client.post(ISSUE, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _redeem(client, shop, code: str, clerk=None):  # noqa: ANN001, ANN202
    return await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=(clerk or shop.clerk).headers,
                             json={"code": code, "lines": [{"item_id": shop.haircut.id, "quantity": 1}]})


async def _clerk(db, person):  # noqa: ANN001, ANN202
    async with db.session_scope() as s:
        return await load_principal(s, await s.get(User, person.user.id))


async def test_a_short_code_is_six_digits_valid_ten_minutes_and_spent_once(db, session, client, settings) -> None:
    shop = await make_shop(session)
    before = utcnow()
    issued = await _issue(client, shop.volunteer)
    after = utcnow()
    code = issued["code"]
    assert len(code) == 6 and code.isdigit() and issued["display"] == f"{code[:3]} {code[3:]}"
    lifetime = dt.timedelta(seconds=settings.redemption_code_seconds)
    assert lifetime == dt.timedelta(minutes=10)
    assert before + lifetime - dt.timedelta(seconds=1) <= dt.datetime.fromisoformat(issued["expires_at"]) \
        <= after + lifetime
    scan = await client.post(f"/api/stores/{shop.store.id}/scan", json={"code": issued["display"]},
                             headers=shop.clerk.headers)
    assert scan.status_code == 200 and scan.json()["volunteer_id"] == shop.volunteer.volunteer.id
    first = await _redeem(client, shop, issued["display"])  # typed as read aloud, with the space
    assert first.status_code == 201, first.text
    second = await _redeem(client, shop, code)
    assert second.status_code == 400 and second.json()["code"] == "redemption_code_invalid"
    qr = await client.get(issued["qr_svg_url"], headers=shop.volunteer.headers)
    assert qr.status_code == 400  # spent: no image of it any more
    await assert_ledger_ok(db)


async def test_the_qr_image_is_for_the_own_live_code_only(session, client) -> None:
    shop = await make_shop(session)
    issued = await _issue(client, shop.volunteer)
    mine = await client.get(issued["qr_png_url"], headers=shop.volunteer.headers)
    assert mine.status_code == 200 and mine.headers["content-type"] == "image/png"
    other = await make_person(session, Role.VOLUNTEER, community=shop.org.community)
    assert (await client.get(issued["qr_png_url"], headers=other.headers)).status_code == 400


async def test_a_new_code_cancels_the_previous_unused_one(session, client) -> None:
    shop = await make_shop(session)
    old = (await _issue(client, shop.volunteer))["code"]
    new = (await _issue(client, shop.volunteer))["code"]
    refused = await _redeem(client, shop, old)
    assert refused.status_code == 400 and refused.json()["code"] == "redemption_code_invalid"
    assert (await _redeem(client, shop, new)).status_code == 201


async def test_an_expired_code_is_refused(db, session, settings) -> None:
    shop = await make_shop(session)
    issued = await short_codes.issue(session, settings=settings, volunteer_id=shop.volunteer.volunteer.id,
                                     now=utcnow())
    await session.commit()
    clerk = await _clerk(db, shop.clerk)
    lines, store_id = [LineIn(item_id=shop.haircut.id, quantity=1)], shop.store.id
    with pytest.raises(DomainError) as expired:
        await till.redeem(session, actor=clerk, settings=settings, store_id=store_id, code=issued.code,
                          lines=lines, now=issued.expires_at)
    assert expired.value.code == "redemption_code_invalid"
    await session.rollback()
    receipt = await till.redeem(session, actor=clerk, settings=settings, store_id=store_id, code=issued.code,
                                lines=lines, now=issued.expires_at - dt.timedelta(seconds=1))
    assert receipt.redemption.id is not None


async def test_a_wrong_code_never_tells_whether_it_belonged_to_someone(session, client) -> None:
    shop = await make_shop(session)
    elsewhere = await make_org(session)
    stranger = await make_person(session, Role.VOLUNTEER, community=elsewhere.community)
    theirs = (await _issue(client, stranger))["code"]  # live, but a volunteer of another community
    spent = (await _issue(client, shop.volunteer))["code"]
    assert (await _redeem(client, shop, spent)).status_code == 201
    cancelled = (await _issue(client, shop.volunteer))["code"]
    await _issue(client, shop.volunteer)
    unknown = next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in {theirs, spent, cancelled})
    answers = [(await _redeem(client, shop, code)).json() for code in (theirs, spent, cancelled, unknown)]
    assert all(a == answers[0] for a in answers), answers
    assert answers[0]["code"] == "redemption_code_invalid"


async def test_live_codes_are_unique_and_expired_digits_are_drawn_again(session, settings, monkeypatch) -> None:
    org = await make_org(session)
    first = await make_person(session, Role.VOLUNTEER, community=org.community)
    second = await make_person(session, Role.VOLUNTEER, community=org.community)
    draws = iter([123456, 123456, 654321, 123456])
    monkeypatch.setattr(short_codes.secrets, "randbelow", lambda _: next(draws))
    now = utcnow()
    assert (await short_codes.issue(session, settings=settings, volunteer_id=first.volunteer.id, now=now)).code \
        == "123456"
    # The same digits are live: drawn again.
    assert (await short_codes.issue(session, settings=settings, volunteer_id=second.volunteer.id, now=now)).code \
        == "654321"
    later = now + dt.timedelta(seconds=settings.redemption_code_seconds)  # the first code has expired
    assert (await short_codes.issue(session, settings=settings, volunteer_id=second.volunteer.id, now=later)).code \
        == "123456"


async def test_wrong_codes_are_limited_per_clerk_and_per_address(db, session, settings) -> None:
    shop = await make_shop(session)
    clerks = [shop.clerk] + [await make_person(session, Role.STORE_CLERK, community=shop.org.community,
                                               store_id=shop.store.id) for _ in range(3)]
    principals = [await _clerk(db, c) for c in clerks]
    issued = await short_codes.issue(session, settings=settings, volunteer_id=shop.volunteer.volunteer.id,
                                     now=utcnow())
    await session.commit()
    right = issued.code
    wrong = "000000" if right != "000000" else "000001"

    async def look_up(clerk, code: str, address: str) -> str:  # noqa: ANN001
        try:
            await till.scan(session, actor=clerk, settings=settings, store_id=shop.store.id, code=code,
                            client_address=address)
        except DomainError as exc:
            return exc.code
        return "ok"

    # Right codes never add up.
    assert [await look_up(principals[0], right, "10.0.0.1") for _ in range(15)] == ["ok"] * 15
    per_clerk = dict(short_codes.WRONG_CODE_LIMITS)  # {"clerk": 10, "address": 20}
    assert [await look_up(principals[0], wrong, "10.0.0.1") for _ in range(per_clerk["clerk"])] \
        == ["redemption_code_invalid"] * per_clerk["clerk"]
    # The clerk's next try is refused, even with the right code; another clerk at the same address goes on.
    assert await look_up(principals[0], right, "10.0.0.2") == "too_many_wrong_codes"
    assert await look_up(principals[1], right, "10.0.0.1") == "ok"
    # Three more clerks guessing from one address: the address's limit stops them.
    outcomes = [await look_up(principals[1 + n % 3], wrong, "10.0.0.3") for n in range(per_clerk["address"])]
    assert set(outcomes) == {"redemption_code_invalid"}
    assert await look_up(principals[3], right, "10.0.0.3") == "too_many_wrong_codes"


@pytest.mark.postgres_only
async def test_two_tills_redeeming_one_code_at_once_exactly_one_wins(db, session, settings) -> None:
    shop = await make_shop(session, points=0)
    await credit(session, volunteer_id=shop.volunteer.volunteer.id, community_id=shop.org.community.id,
                 points=20 * 30)
    second_till = await make_person(session, Role.STORE_CLERK, community=shop.org.community, store_id=shop.store.id)
    clerks = [await _clerk(db, shop.clerk), await _clerk(db, second_till)]
    async with db.session_scope() as s:
        code = (await short_codes.issue(s, settings=settings, volunteer_id=shop.volunteer.volunteer.id,
                                        now=utcnow())).code

    async def attempt(n: int) -> str:
        try:
            async with db.session_scope() as s:
                await till.redeem(s, actor=clerks[n % 2], settings=settings, store_id=shop.store.id, code=code,
                                  lines=[LineIn(item_id=shop.haircut.id, quantity=1)], client_address=f"10.1.0.{n}")
        except DomainError as exc:
            return exc.code
        return "ok"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(20)))
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "redemption_code_used", "redemption_code_invalid"}
    await assert_ledger_ok(db)
