"""A printed card spends points only with the volunteer's card PIN; every spend lands in the volunteer's inbox."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import User
from servicebank.accounts.sessions import load_principal
from servicebank.audit.models import AuditEntry
from servicebank.checkins.tokens import issue_card_token
from servicebank.kernel import events
from servicebank.kernel.errors import DomainError
from servicebank.notifications.models import Notification
from servicebank.stores import till
from servicebank.stores.models import Redemption
from servicebank.stores.schemas import LineIn
from servicebank.volunteers import card_pin
from servicebank.volunteers.models import VolunteerCardPin
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD
from tests.stores.support import fresh_code, make_shop

PIN = "270419"


def _card(shop) -> str:  # noqa: ANN001
    volunteer = shop.volunteer.volunteer
    return issue_card_token(secret_key=TEST_SECRET, volunteer_id=volunteer.id, card_version=volunteer.card_version)


async def _redeem(client, shop, code: str, pin: str | None = None):  # noqa: ANN001, ANN202
    body = {"code": code, "lines": [{"item_id": shop.haircut.id, "quantity": 1}]}
    if pin is not None:
        body["pin"] = pin
    return await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=shop.clerk.headers, json=body)


async def _set_pin(client, shop, pin: str = PIN):  # noqa: ANN001, ANN202
    return await client.put("/api/me/card-pin", json={"password": PASSWORD, "pin": pin}, headers=shop.volunteer.headers)


async def _receipts(db) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count(Redemption.id))) or 0)


async def test_a_card_alone_no_longer_spends(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    scan = await client.post(f"/api/stores/{shop.store.id}/scan", json={"code": _card(shop)},
                             headers=shop.clerk.headers)
    assert scan.status_code == 200 and scan.json()["pin_required"] is True
    # No PIN, but a mobile on the record: the card pays with a texted code (test_card_sms_code.py).
    assert scan.json()["eligible"] is True and scan.json()["reason"] is None
    assert scan.json()["confirm_with"] == ["sms_code"]
    without_pin = await _redeem(client, shop, _card(shop))
    assert without_pin.status_code == 403 and without_pin.json()["code"] == "card_pin_required"
    no_pin_yet = await _redeem(client, shop, _card(shop), pin=PIN)
    assert no_pin_yet.status_code == 403 and no_pin_yet.json()["code"] == "card_pin_not_set"
    assert await _receipts(db) == 0


async def test_a_card_with_neither_pin_nor_mobile_cannot_pay(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    shop.volunteer.volunteer.phone = "010-62345678"  # a landline: no code can be texted to it
    await session.commit()
    scan = await client.post(f"/api/stores/{shop.store.id}/scan", json={"code": _card(shop)},
                             headers=shop.clerk.headers)
    assert scan.json()["eligible"] is False and scan.json()["reason"] == "card_pin_not_set"
    assert scan.json()["confirm_with"] == []
    assert (await _set_pin(client, shop)).status_code == 200
    scan = await client.post(f"/api/stores/{shop.store.id}/scan", json={"code": _card(shop)},
                             headers=shop.clerk.headers)
    assert scan.json()["eligible"] is True and scan.json()["confirm_with"] == ["pin"]


async def test_card_with_the_volunteers_pin_spends(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    assert (await _set_pin(client, shop)).status_code == 200
    assert (await client.get("/api/me/card-pin", headers=shop.volunteer.headers)).json()["pin_set"] is True
    scan = await client.post(f"/api/stores/{shop.store.id}/scan", json={"code": _card(shop)},
                             headers=shop.clerk.headers)
    assert scan.json()["eligible"] is True and scan.json()["pin_required"] is True
    assert scan.json()["confirm_with"] == ["pin", "sms_code"]
    response = await _redeem(client, shop, _card(shop), pin=PIN)
    assert response.status_code == 201, response.text
    assert response.json()["method"] == "card"


async def test_setting_a_pin_needs_the_login_password_and_a_real_pin(session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    wrong = await client.put("/api/me/card-pin", json={"password": "not-my-password", "pin": PIN},
                             headers=shop.volunteer.headers)
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    for pin, code in (("12345", "invalid_card_pin"), ("12a456", "invalid_card_pin"), ("111111", "weak_card_pin"),
                      ("123456", "weak_card_pin")):
        response = await _set_pin(client, shop, pin)
        assert response.status_code == 422 and response.json()["code"] == code, pin
    staff = await client.put("/api/me/card-pin", json={"password": PASSWORD, "pin": PIN}, headers=shop.clerk.headers)
    assert staff.status_code == 403 and staff.json()["code"] == "volunteer_required"


async def test_five_wrong_pins_lock_the_card_until_a_new_pin(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await _set_pin(client, shop)
    for left in range(card_pin.MAX_PIN_FAILURES - 1, -1, -1):
        response = await _redeem(client, shop, _card(shop), pin="918273")
        assert response.status_code == 403 and response.json()["code"] == "card_pin_wrong"
        assert response.json()["attempts_left"] == left
    locked = await _redeem(client, shop, _card(shop), pin=PIN)
    assert locked.status_code == 403 and locked.json()["code"] == "card_pin_locked"
    await events.drain(db)
    inbox = (await client.get("/api/notifications", headers=shop.volunteer.headers)).json()["items"]
    assert [m["type"] for m in inbox] == ["volunteer.card_pin_locked"]  # told once, when the fifth one locked it
    # The phone code still works: the lock is on the card's PIN, not on the volunteer.
    assert (await _redeem(client, shop, await fresh_code(client, shop.volunteer))).status_code == 201
    assert (await client.get("/api/me/card-pin", headers=shop.volunteer.headers)).json()["pin_set"] is False
    await _set_pin(client, shop, "864209")
    assert (await _redeem(client, shop, _card(shop), pin="864209")).status_code == 201


async def test_a_right_pin_clears_earlier_wrong_ones(session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await _set_pin(client, shop)
    for _ in range(card_pin.MAX_PIN_FAILURES - 1):
        await _redeem(client, shop, _card(shop), pin="918273")
    assert (await _redeem(client, shop, _card(shop), pin=PIN)).status_code == 201
    again = await _redeem(client, shop, _card(shop), pin="918273")
    assert again.json()["attempts_left"] == card_pin.MAX_PIN_FAILURES - 1


async def test_organiser_resets_a_pin_and_it_is_audited(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await _set_pin(client, shop)
    path = f"/api/volunteers/{shop.volunteer.volunteer.id}/card-pin/reset"
    clerk = await client.post(path, json={"reason": "忘记密码"}, headers=shop.clerk.headers)
    assert clerk.status_code == 404
    no_reason = await client.post(path, json={"reason": " "}, headers=shop.organiser.headers)
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "reason_required"
    reset = await client.post(path, json={"reason": "忘记密码, 本人到社区", "pin": "502938"},
                              headers=shop.organiser.headers)
    assert reset.status_code == 200 and reset.json()["pin_set"] is True
    assert (await _redeem(client, shop, _card(shop), pin=PIN)).json()["code"] == "card_pin_wrong"
    assert (await _redeem(client, shop, _card(shop), pin="502938")).status_code == 201
    cleared = await client.post(path, json={"reason": "卡丢了"}, headers=shop.organiser.headers)
    assert cleared.json()["pin_set"] is False
    assert (await _redeem(client, shop, _card(shop), pin="502938")).json()["code"] == "card_pin_not_set"
    async with db.session_scope() as s:
        audits = (await s.execute(select(AuditEntry.action, AuditEntry.actor_user_id, AuditEntry.reason)
                                  .where(AuditEntry.action.like("volunteer.card_pin%")).order_by(AuditEntry.id))).all()
        stored = (await s.scalars(select(VolunteerCardPin.pin_hash))).all()
    assert [(a, u) for a, u, _ in audits] == [("volunteer.card_pin_set", shop.volunteer.user.id),
                                              ("volunteer.card_pin_reset", shop.organiser.user.id),
                                              ("volunteer.card_pin_reset", shop.organiser.user.id)]
    assert audits[1][2] == "忘记密码, 本人到社区" and stored == []


async def test_every_spend_and_refund_notifies_the_volunteer(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await _set_pin(client, shop)
    by_card = await _redeem(client, shop, _card(shop), pin=PIN)
    by_code = await _redeem(client, shop, await fresh_code(client, shop.volunteer))
    assert by_card.status_code == 201 and by_code.status_code == 201
    refund = await client.post(f"/api/redemptions/{by_code.json()['id']}/refund", json={"reason": "退货"},
                               headers=shop.clerk.headers)
    assert refund.status_code == 200, refund.text
    await events.drain(db)
    await events.drain(db)  # a second pass changes nothing: one message per event and recipient
    messages = (await client.get("/api/notifications", headers=shop.volunteer.headers)).json()["items"]
    spends = [m for m in messages if m["type"] == "redemption.completed"]
    assert len(spends) == 2 and len([m for m in messages if m["type"] == "redemption.refunded"]) == 1
    bodies = " ".join(m["body"] for m in spends)
    assert "纸质二维码卡" in bodies and "手机兑换码" in bodies and "理发服务×1" in bodies
    assert by_card.json()["receipt_no"] in bodies
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(Notification.id))
                              .where(Notification.type.like("redemption.%"))) == 3


@pytest.mark.postgres_only
async def test_concurrent_guesses_never_pass_the_limit(db, session, settings) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    async with db.session_scope() as s:
        clerk = await load_principal(s, await s.get(User, shop.clerk.user.id))
        await card_pin.reset_pin(s, principal=await load_principal(s, await s.get(User, shop.organiser.user.id)),
                                 volunteer_id=shop.volunteer.volunteer.id, pin=PIN, reason="test")

    async def guess(pin: str) -> str:
        # Like the route: a wrong PIN is committed, anything else rolled back.
        async with db.session_scope() as s:
            try:
                await till.redeem(s, actor=clerk, settings=settings, store_id=shop.store.id, code=_card(shop),
                                  lines=[LineIn(item_id=shop.haircut.id, quantity=1)], pin=pin)
            except card_pin.WrongCardPin as exc:
                await s.commit()
                return exc.code
            except DomainError as exc:
                await s.rollback()
                return exc.code
        return "ok"

    # 20 wrong guesses and the right PIN, all at once: exactly 5 guesses are checked, the rest find the card locked.
    outcomes = await asyncio.gather(*(guess(f"{910000 + i}") for i in range(20)))
    assert outcomes.count("card_pin_wrong") == card_pin.MAX_PIN_FAILURES
    assert outcomes.count("card_pin_locked") == 20 - card_pin.MAX_PIN_FAILURES
    assert await guess(PIN) == "card_pin_locked"
    assert await _receipts(db) == 0
