"""Redeeming at the counter: the happy path, every refusal with its code, and nothing half-written."""

from __future__ import annotations

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.checkins.tokens import issue_card_token
from servicebank.kernel import events
from servicebank.kernel.db import Database
from servicebank.kernel.events import OutboxEvent
from servicebank.ledger.models import Account, AccountKind
from servicebank.stores.models import Redemption, Store, StoreItem, UsedRedemptionCode
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_org, make_person
from tests.stores.support import assert_ledger_ok, credit, fresh_code, make_shop


async def _balance(db: Database, kind: str, owner_id: int) -> int:
    async with db.session_scope() as s:
        return int(await s.scalar(select(Account.balance).where(Account.kind == kind, Account.owner_id == owner_id))
                   or 0)


async def _stock(db: Database, item_id: int) -> int | None:
    async with db.session_scope() as s:
        return await s.scalar(select(StoreItem.stock).where(StoreItem.id == item_id))


async def _count(db: Database, model) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_redemption_moves_points_takes_stock_and_gives_a_receipt(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    vid = shop.volunteer.volunteer.id
    code = await fresh_code(client, shop.volunteer)

    scan = await client.post(f"/api/stores/{shop.store.id}/scan", json={"code": code}, headers=shop.clerk.headers)
    assert scan.status_code == 200, scan.text
    body = scan.json()
    assert body["volunteer_name"] == "王*英" and body["balance"] == 500 and body["eligible"] is True
    assert {i["name"]: i["remaining_this_month"] for i in body["items"]}["大米 5kg"] == 1

    response = await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=shop.clerk.headers, json={
        "code": code, "lines": [{"item_id": shop.rice.id, "quantity": 1}, {"item_id": shop.oil.id, "quantity": 2},
                                {"item_id": shop.oil.id, "quantity": 1}]})
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["total_points"] == 120 + 3 * 80
    assert receipt["receipt_no"].startswith(f"S{shop.store.id}-")
    assert {(x["item_name"], x["quantity"], x["points"]) for x in receipt["lines"]} == {
        ("大米 5kg", 1, 120), ("食用油", 3, 240)}
    assert await _balance(db, AccountKind.VOLUNTEER, vid) == 500 - 360
    assert await _balance(db, AccountKind.STORE, shop.store.id) == 360
    assert await _stock(db, shop.rice.id) == 4 and await _stock(db, shop.oil.id) == 7

    mine = await client.get(f"/api/redemptions/{receipt['id']}", headers=shop.volunteer.headers)
    assert mine.status_code == 200 and mine.json()["receipt_no"] == receipt["receipt_no"]
    history = await client.get("/api/me/redemptions", headers=shop.volunteer.headers)
    assert [r["id"] for r in history.json()] == [receipt["id"]]
    today = await client.get(f"/api/stores/{shop.store.id}/redemptions", headers=shop.clerk.headers)
    assert [r["id"] for r in today.json()] == [receipt["id"]]
    async with db.session_scope() as s:
        types = (await s.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("redemption.%")))).all()
    assert types == ["redemption.completed"]
    await events.drain(db)
    await assert_ledger_ok(db)


async def test_code_is_single_use_and_refused_when_replayed(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    code = await fresh_code(client, shop.volunteer)
    cart = {"code": code, "lines": [{"item_id": shop.haircut.id, "quantity": 1}]}
    first = await client.post(f"/api/stores/{shop.store.id}/redemptions", json=cart, headers=shop.clerk.headers)
    assert first.status_code == 201, first.text
    again = await client.post(f"/api/stores/{shop.store.id}/redemptions", json=cart, headers=shop.clerk.headers)
    assert again.status_code == 409 and again.json()["code"] == "redemption_code_used"
    # The spent code is refused at the scan already, before the clerk picks anything.
    scan = await client.post(f"/api/stores/{shop.store.id}/scan", json={"code": code}, headers=shop.clerk.headers)
    assert scan.status_code == 409 and scan.json()["code"] == "redemption_code_used"
    assert await _count(db, Redemption) == 1
    assert await _balance(db, AccountKind.VOLUNTEER, shop.volunteer.volunteer.id) == 470
    await assert_ledger_ok(db)


async def _refused(db, client, shop, *, lines, code_for=None, headers=None, expect: tuple[int, str]) -> None:  # noqa: ANN001
    """A refusal with its stable code that changed nothing: no receipt, no points moved, stock and code intact."""
    code = code_for if code_for is not None else await fresh_code(client, shop.volunteer)
    before = (await _balance(db, AccountKind.VOLUNTEER, shop.volunteer.volunteer.id), await _stock(db, shop.rice.id),
              await _stock(db, shop.oil.id), await _count(db, Redemption), await _count(db, UsedRedemptionCode))
    response = await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=headers or shop.clerk.headers,
                                 json={"code": code, "lines": lines})
    assert (response.status_code, response.json()["code"]) == expect, response.text
    after = (await _balance(db, AccountKind.VOLUNTEER, shop.volunteer.volunteer.id), await _stock(db, shop.rice.id),
             await _stock(db, shop.oil.id), await _count(db, Redemption), await _count(db, UsedRedemptionCode))
    assert after == before, "a refused redemption must leave no trace"
    await assert_ledger_ok(db)


async def test_insufficient_balance_is_refused_without_effect(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=100)
    await _refused(db, client, shop, lines=[{"item_id": shop.oil.id, "quantity": 2}],
                   expect=(409, "insufficient_balance"))


async def test_out_of_stock_is_refused_without_effect(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=5000)
    await _refused(db, client, shop, lines=[{"item_id": shop.haircut.id, "quantity": 1},
                                            {"item_id": shop.oil.id, "quantity": 11}], expect=(409, "out_of_stock"))


async def test_monthly_limit_counts_earlier_receipts(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await _refused(db, client, shop, lines=[{"item_id": shop.rice.id, "quantity": 2}],
                   expect=(409, "monthly_limit_exceeded"))
    code = await fresh_code(client, shop.volunteer)
    ok = await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=shop.clerk.headers,
                           json={"code": code, "lines": [{"item_id": shop.rice.id, "quantity": 1}]})
    assert ok.status_code == 201
    await _refused(db, client, shop, lines=[{"item_id": shop.rice.id, "quantity": 1}],
                   expect=(409, "monthly_limit_exceeded"))


async def test_hours_threshold_of_store_and_item(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=500, minutes=600, store_minutes=20 * 60)
    await _refused(db, client, shop, lines=[{"item_id": shop.haircut.id, "quantity": 1}],
                   expect=(403, "service_hours_too_few"))
    scan = await client.post(f"/api/stores/{shop.store.id}/scan", headers=shop.clerk.headers,
                             json={"code": await fresh_code(client, shop.volunteer)})
    assert scan.json()["eligible"] is False and scan.json()["reason"] == "service_hours_too_few"
    async with db.session_scope() as s:
        (await s.get(Store, shop.store.id)).min_service_minutes = 0
        (await s.get(StoreItem, shop.rice.id)).min_service_minutes = 1200
    await _refused(db, client, shop, lines=[{"item_id": shop.rice.id, "quantity": 1}],
                   expect=(403, "service_hours_too_few"))


async def test_expired_and_forged_codes(db, session, client) -> None:  # noqa: ANN001
    import datetime as dt

    from servicebank.stores.codes import issue_code

    shop = await make_shop(session)
    vid = shop.volunteer.volunteer.id
    old = issue_code(secret_key=TEST_SECRET, volunteer_id=vid, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3))
    lines = [{"item_id": shop.haircut.id, "quantity": 1}]
    await _refused(db, client, shop, lines=lines, code_for=old.code, expect=(400, "redemption_code_expired"))
    forged = issue_code(secret_key="another-secret-" + "y" * 30, volunteer_id=vid, now=dt.datetime.now(dt.UTC))
    await _refused(db, client, shop, lines=lines, code_for=forged.code, expect=(400, "redemption_code_invalid"))
    await _refused(db, client, shop, lines=lines, code_for="garbage", expect=(400, "redemption_code_invalid"))


async def test_personal_card_redeems_and_revoked_card_is_refused(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    volunteer = shop.volunteer.volunteer
    card = issue_card_token(secret_key=TEST_SECRET, volunteer_id=volunteer.id, card_version=volunteer.card_version)
    # A card spends with the volunteer's PIN (tests/stores/test_card_pin.py has the rest).
    await client.put("/api/me/card-pin", json={"password": PASSWORD, "pin": "270419"}, headers=shop.volunteer.headers)
    response = await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=shop.clerk.headers,
                                 json={"code": card, "pin": "270419",
                                       "lines": [{"item_id": shop.haircut.id, "quantity": 1}]})
    assert response.status_code == 201 and response.json()["method"] == "card"
    old_card = issue_card_token(secret_key=TEST_SECRET, volunteer_id=volunteer.id,
                                card_version=volunteer.card_version - 1)
    await _refused(db, client, shop, lines=[{"item_id": shop.haircut.id, "quantity": 1}], code_for=old_card,
                   expect=(400, "card_revoked"))


async def test_clerk_of_another_store_and_outsiders_are_refused(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    other = Store(community_id=shop.org.community.id, name="合作理发店", kind="service_provider")
    session.add(other)
    await session.commit()
    other_clerk = await make_person(session, Role.STORE_CLERK, community=shop.org.community, store_id=other.id)
    lines = [{"item_id": shop.haircut.id, "quantity": 1}]
    await _refused(db, client, shop, lines=lines, headers=other_clerk.headers, expect=(403, "not_store_clerk"))
    await _refused(db, client, shop, lines=lines, headers=shop.volunteer.headers, expect=(403, "not_store_clerk"))
    stranger_org = await make_org(session)
    stranger = await make_person(session, Role.ORGANISER, community=stranger_org.community)
    await _refused(db, client, shop, lines=lines, headers=stranger.headers, expect=(404, "store_not_found"))
    # The community's organiser may work the counter.
    code = await fresh_code(client, shop.volunteer)
    ok = await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=shop.organiser.headers,
                           json={"code": code, "lines": lines})
    assert ok.status_code == 201


async def test_volunteer_of_another_community_cannot_redeem_here(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    outsider = await make_person(session, Role.VOLUNTEER, community=shop.org.other)
    await credit(session, volunteer_id=outsider.volunteer.id, community_id=shop.org.other.id, points=100)
    response = await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=shop.clerk.headers,
                                 json={"code": await fresh_code(client, outsider),
                                       "lines": [{"item_id": shop.haircut.id, "quantity": 1}]})
    assert response.status_code == 403 and response.json()["code"] == "volunteer_not_in_community"
    assert await _balance(db, AccountKind.VOLUNTEER, outsider.volunteer.id) == 100


async def test_bad_carts(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await _refused(db, client, shop, lines=[], expect=(422, "empty_cart"))
    await _refused(db, client, shop, lines=[{"item_id": shop.oil.id, "quantity": 0}], expect=(422, "invalid_quantity"))
    await _refused(db, client, shop, lines=[{"item_id": 999999, "quantity": 1}], expect=(422, "item_not_found"))
    async with db.session_scope() as s:
        (await s.get(StoreItem, shop.oil.id)).is_active = False
    await _refused(db, client, shop, lines=[{"item_id": shop.oil.id, "quantity": 1}],
                   expect=(409, "item_unavailable"))
    async with db.session_scope() as s:
        (await s.get(Store, shop.store.id)).is_active = False
    await _refused(db, client, shop, lines=[{"item_id": shop.haircut.id, "quantity": 1}],
                   expect=(409, "store_closed"))


async def test_code_endpoints_for_volunteers_only(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=0)
    staff = await client.get("/api/me/redemption-code", headers=shop.clerk.headers)
    assert staff.status_code == 403 and staff.json()["code"] == "volunteer_required"
    body = (await client.get("/api/me/redemption-code", headers=shop.volunteer.headers)).json()
    png = await client.get(body["qr_png_url"], headers=shop.volunteer.headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = await client.get(body["qr_svg_url"], headers=shop.volunteer.headers)
    assert svg.status_code == 200 and b"<svg" in svg.content
    direct = await client.get("/api/me/redemption-code?format=png", headers=shop.volunteer.headers)
    assert direct.content.startswith(b"\x89PNG") and direct.headers["x-code-expires-at"]
    other = await make_person(session, Role.VOLUNTEER, community=shop.org.community)
    stolen = await client.get(body["qr_png_url"], headers=other.headers)
    assert stolen.status_code == 403 and stolen.json()["code"] == "not_your_code"
