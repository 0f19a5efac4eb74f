"""At the till, a printed card without its PIN: the clerk texts a code to the volunteer's phone (through the fake
gateway), the page asks for it, a wrong one is refused in Chinese and counted, the right one pays once."""

from __future__ import annotations

import pytest

from servicebank.checkins.tokens import issue_card_token
from servicebank.notifications.sms_sender import send_due_sms
from tests.conftest import TEST_SECRET
from tests.notifications.fake_gateway import gateway, settings  # noqa: F401 - fixtures
from tests.stores.support import make_shop
from tests.web.pages import log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


async def test_a_card_pays_with_a_texted_code_at_the_till(client, session, db, gateway) -> None:  # noqa: ANN001, F811
    shop = await make_shop(session)
    volunteer = shop.volunteer.volunteer
    card = issue_card_token(secret_key=TEST_SECRET, volunteer_id=volunteer.id, card_version=volunteer.card_version)
    await log_in(client, shop.clerk)
    picked = await post(client, f"/till/{shop.store.id}/scan", {"code": card})
    assert 'id="card-code-form"' in picked.text and "给志愿者手机发验证码" in text_of(picked.text)
    # No PIN set: the page leads with the texted code, and no PIN field or confirm button comes before it.
    assert "没有设置消费密码" in text_of(picked.text) and "纸质卡不能兑换" not in text_of(picked.text)
    assert 'name="pin"' not in picked.text and ">确认兑换</button>" not in picked.text
    texted = await post(client, f"/till/{shop.store.id}/card-code", {"code": card})
    masked = volunteer.phone[:3] + "****" + volunteer.phone[-4:]
    assert texted.status_code == 200 and f"6 位验证码已发到 {masked}" in text_of(texted.text)
    assert 'name="sms_code"' in texted.text
    await send_due_sms(db, db.settings)
    code = gateway.received[-1]["params"]["code"]
    cart = {"code": card, f"qty-{shop.haircut.id}": "1"}
    wrong = await post(client, f"/till/{shop.store.id}/redeem", {**cart, "sms_code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 422 and "验证码不对" in text_of(wrong.text) and 'name="sms_code"' in wrong.text
    receipt = await post(client, f"/till/{shop.store.id}/redeem", {**cart, "sms_code": code})
    assert receipt.status_code == 200 and "理发服务" in receipt.text
    again = await post(client, f"/till/{shop.store.id}/redeem", {**cart, "sms_code": code})
    assert again.status_code == 422 and "已经用过了" in text_of(again.text)
