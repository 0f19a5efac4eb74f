"""The pages of item 8 and 12: the volunteer sets a card PIN on /me, the till asks for it, an organiser resets it;
a volunteer who is not active sees their own page and nothing they may not do."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.checkins.tokens import issue_card_token
from servicebank.volunteers.models import VolunteerCardPin, VolunteerStatus
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_person, make_volunteer
from tests.stores.support import make_shop
from tests.web.pages import location, log_in, post, text_of

# Forms and cookies: the PIN rules themselves run on both backends in tests/stores/test_card_pin.py.
pytestmark = [pytest.mark.sqlite_only]


async def test_volunteer_sets_a_pin_and_the_till_asks_for_it(client, session, db) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    volunteer = shop.volunteer.volunteer
    card = issue_card_token(secret_key=TEST_SECRET, volunteer_id=volunteer.id, card_version=volunteer.card_version)
    await log_in(client, shop.clerk)
    no_pin = await post(client, f"/till/{shop.store.id}/scan", {"code": card})
    assert 'id="pay-by-text"' in no_pin.text and 'name="pin"' not in no_pin.text
    client.cookies.clear()
    await log_in(client, shop.volunteer)
    me = await client.get("/me")
    assert "尚未设置消费密码" in text_of(me.text)
    wrong = await post(client, "/me/card-pin", {"pin": "270419", "password": "not-it"})
    assert location(wrong) == "/me?pin_error=wrong_password#card-pin"
    assert "登录密码不正确" in text_of((await client.get("/me?pin_error=wrong_password")).text)
    assert location(await post(client, "/me/card-pin", {"pin": "270419", "password": PASSWORD})).startswith("/me?")
    assert "已设置消费密码" in text_of((await client.get("/me")).text)

    client.cookies.clear()
    await log_in(client, shop.clerk)
    picked = await post(client, f"/till/{shop.store.id}/scan", {"code": card})
    assert picked.status_code == 200 and 'name="pin"' in picked.text
    cart = {"code": card, f"qty-{shop.haircut.id}": "1"}
    refused = await post(client, f"/till/{shop.store.id}/redeem", {**cart, "pin": "918273"})
    assert refused.status_code == 422 and "消费密码错误" in text_of(refused.text)
    async with db.session_scope() as s:  # the wrong attempt was kept although the page answered with an error
        assert await s.scalar(select(VolunteerCardPin.failures)) == 1
    receipt = await post(client, f"/till/{shop.store.id}/redeem", {**cart, "pin": "270419"})
    assert receipt.status_code == 200 and "理发服务" in receipt.text


async def test_organiser_resets_the_pin_on_the_volunteer_page(client, session, db) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await log_in(client, shop.organiser)
    page = await client.get(f"/manage/volunteers/{shop.volunteer.volunteer.id}")
    assert 'id="card-pin-reset"' in page.text
    done = await post(client, f"/manage/volunteers/{shop.volunteer.volunteer.id}/card-pin/reset",
                      {"reason": "本人到社区重设", "pin": "502938"})
    assert location(done).endswith("done=pin_reset")
    async with db.session_scope() as s:
        assert await s.scalar(select(VolunteerCardPin.set_by_user_id)) == shop.organiser.user.id


async def test_a_pending_volunteer_sees_their_page_but_gets_no_code(client, session) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=0)
    pending = await make_person(session, Role.VOLUNTEER, community=shop.org.community,
                                volunteer=await make_volunteer(session, shop.org.community,
                                                               status=VolunteerStatus.PENDING))
    await log_in(client, pending)
    me = await client.get("/me")
    assert me.status_code == 200 and "等待社区工作者审核" in text_of(me.text)
    code = await client.get("/me/code")
    assert code.status_code == 403 and f"r.{pending.volunteer.id}." not in code.text
    store = await client.get(f"/api/stores/{shop.store.id}/items")
    assert store.status_code == 404
