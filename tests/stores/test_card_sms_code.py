"""A printed card's spend confirmed by a code texted to the volunteer (instead of the PIN), through the fake gateway:
once, for that volunteer only, and a wrong code counts like a wrong PIN."""

from __future__ import annotations

from sqlalchemy import func, select

from servicebank.notifications.sms_sender import send_due_sms
from servicebank.stores.models import Redemption
from tests.notifications.fake_gateway import FakeGateway, gateway, settings  # noqa: F401 - fixtures
from tests.stores.support import fresh_code, make_shop
from tests.stores.test_card_pin import _card


async def _redeem(client, shop, code: str, **consent: str):  # noqa: ANN001, ANN003, ANN202
    body = {"code": code, "lines": [{"item_id": shop.haircut.id, "quantity": 1}], **consent}
    return await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=shop.clerk.headers, json=body)


async def _receipts(db) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count(Redemption.id))) or 0)


async def test_a_card_spends_with_a_texted_code_once(db, session, client, gateway) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    asked = await client.post(f"/api/stores/{shop.store.id}/card-codes", json={"code": _card(shop)},
                              headers=shop.clerk.headers)
    assert asked.status_code == 202, asked.text
    phone = shop.volunteer.volunteer.phone
    assert asked.json()["phone"] == phone[:3] + "****" + phone[-4:]
    await send_due_sms(db, db.settings)
    (sent,) = gateway.received
    assert sent["phone"] == phone
    code = sent["params"]["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await _redeem(client, shop, _card(shop), sms_code=wrong)
    assert refused.status_code == 400 and refused.json()["code"] == "otp_wrong"
    assert refused.json()["attempts_left"] == 4
    paid = await _redeem(client, shop, _card(shop), sms_code=code)
    assert paid.status_code == 201, paid.text
    again = await _redeem(client, shop, _card(shop), sms_code=code)
    assert again.status_code == 400 and again.json()["code"] == "otp_used"
    assert await _receipts(db) == 1


async def test_only_printed_cards_take_texted_codes(db, session, client, gateway) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    phone_code = await fresh_code(client, shop.volunteer)
    r = await client.post(f"/api/stores/{shop.store.id}/card-codes", json={"code": phone_code},
                          headers=shop.clerk.headers)
    assert r.status_code == 422 and r.json()["code"] == "spend_code_card_only"
    # A login code of the same phone is no spend code.
    r = await client.post("/api/auth/codes", json={"phone": shop.volunteer.user.phone, "purpose": "login"})
    await send_due_sms(db, db.settings)
    login_code = gateway.received[-1]["params"]["code"]
    r = await _redeem(client, shop, _card(shop), sms_code=login_code)
    assert r.status_code == 400 and r.json()["code"] == "otp_wrong"
    assert await _receipts(db) == 0
