"""Issue 17, the clerk's refusals over HTTP: a spent code is refused at the scan, every refusal is Chinese, an item
that cannot be redeemed says why, refunds need a reason, clerks keep the stock, and /manage tells a clerk politely."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from servicebank.audit.models import AuditEntry
from servicebank.kernel.clock import utcnow
from servicebank.stores.codes import issue_code
from servicebank.stores.models import StoreItem
from servicebank.web import friendly
from tests.conftest import TEST_SECRET
from tests.stores.support import make_shop
from tests.web.pages import location, log_in, post, text_of

# Forms and cookies: the stores' rules themselves run on both backends in tests/stores.
pytestmark = [pytest.mark.sqlite_only]

# Every code the till, refund and stock pages can meet: each needs plain words in friendly.MESSAGES.
TILL_CODES = ["redemption_code_invalid", "redemption_code_expired", "redemption_code_used", "card_invalid",
              "card_revoked", "card_pin_required", "card_pin_wrong", "card_pin_locked", "card_pin_not_set",
              "not_store_clerk", "store_not_found", "store_closed", "volunteer_not_found", "volunteer_not_in_community",
              "volunteer_not_active", "service_hours_too_few", "out_of_stock", "monthly_limit_exceeded",
              "insufficient_balance", "item_unavailable", "item_not_found", "empty_cart", "invalid_quantity",
              "too_many_lines", "invalid_input", "already_refunded", "refund_period_over", "invalid_reason",
              "reason_required", "redemption_not_found", "invalid_stock", "invalid_restock", "stock_not_counted",
              "community_staff_only"]


def code_for(shop, *, minutes: int = 2, now: dt.datetime | None = None) -> str:  # noqa: ANN001
    return issue_code(secret_key=TEST_SECRET, volunteer_id=shop.volunteer.volunteer.id, now=now or utcnow(),
                      lifetime=dt.timedelta(minutes=minutes)).code


def has_latin_sentence(text: str) -> bool:
    """An English refusal leaking through (a run of English words), not a code or a number."""
    import re

    return re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", text) is not None


def test_every_till_refusal_has_chinese_words() -> None:
    from servicebank.web import i18n

    zh = i18n.catalogue("zh")
    missing = [c for c in TILL_CODES if c not in friendly.MESSAGES or friendly.MESSAGES[c] not in zh]
    assert not missing


async def test_a_spent_code_is_refused_at_the_scan_in_chinese(client, session) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await log_in(client, shop.clerk)
    code = code_for(shop)
    paid = await post(client, f"/till/{shop.store.id}/redeem", {"code": code, f"qty-{shop.haircut.id}": "1"})
    assert paid.status_code == 200 and 'id="receipt"' in paid.text

    again = await post(client, f"/till/{shop.store.id}/scan", {"code": code})
    assert again.status_code == 422
    assert "这个码已经用过了" in text_of(again.text) and 'name="qty-' not in again.text
    api = await client.post(f"/api/stores/{shop.store.id}/scan", json={"code": code}, headers=shop.clerk.headers)
    assert api.status_code == 409 and api.json()["code"] == "redemption_code_used"

    expired = code_for(shop, now=utcnow() - dt.timedelta(minutes=5))
    late = await post(client, f"/till/{shop.store.id}/scan", {"code": expired})
    assert late.status_code == 422 and "过期" in text_of(late.text) and 'name="qty-' not in late.text
    wrong = await post(client, f"/till/{shop.store.id}/scan", {"code": code[:-3] + "xyz"})
    assert wrong.status_code == 422 and 'name="qty-' not in wrong.text
    assert not has_latin_sentence(text_of(wrong.text).split("扫码")[0])


async def test_the_monthly_limit_is_refused_in_chinese_and_each_item_says_why(client, session) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=150)
    await log_in(client, shop.clerk)
    first = await post(client, f"/till/{shop.store.id}/redeem", {"code": code_for(shop), f"qty-{shop.rice.id}": "1"})
    assert first.status_code == 200  # 120 of 150 points: 30 left, the haircut's price
    shop.oil.stock = 0
    await session.commit()

    code = code_for(shop)
    picked = await post(client, f"/till/{shop.store.id}/scan", {"code": code})
    assert picked.status_code == 200
    page = text_of(picked.text)
    assert "大米 5kg · 120 积分 不可兑换：已达到该物品本月限兑数量" in page
    assert "食用油 · 80 积分 不可兑换：库存不足" in page
    assert f'name="qty-{shop.haircut.id}"' in picked.text and f'name="qty-{shop.rice.id}"' not in picked.text

    # A cart sent anyway (an old page): the refusal is Chinese and the items are shown again.
    refused = await post(client, f"/till/{shop.store.id}/redeem", {"code": code, f"qty-{shop.rice.id}": "1"})
    assert refused.status_code == 422
    words = text_of(refused.text)
    assert "该志愿者本月兑换的物品已超过限兑数量" in words and "limited to" not in words
    assert 'id="balance"' in refused.text  # still on the pick page with the same code

    poor = await post(client, f"/till/{shop.store.id}/redeem", {"code": code, f"qty-{shop.haircut.id}": "2"})
    assert poor.status_code == 422 and "积分不足" in text_of(poor.text)


async def test_an_item_too_dear_says_not_enough_points(client, session) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=100)
    await log_in(client, shop.clerk)
    page = text_of((await post(client, f"/till/{shop.store.id}/scan", {"code": code_for(shop)})).text)
    assert "大米 5kg · 120 积分 不可兑换：积分不足" in page and "食用油 · 80 积分 不可兑换" not in page


async def test_a_refund_needs_a_reason_and_happens_once(client, session, db) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await log_in(client, shop.clerk)
    await post(client, f"/till/{shop.store.id}/redeem", {"code": code_for(shop), f"qty-{shop.oil.id}": "2"})
    listed = await client.get(f"/till/{shop.store.id}/redemptions")
    assert listed.status_code == 200 and "食用油 × 2" in text_of(listed.text)
    receipt_id = int(listed.text.split(f"/till/{shop.store.id}/redemptions/")[1].split("/")[0])
    url = f"/till/{shop.store.id}/redemptions/{receipt_id}/refund"

    bare = await post(client, url, {"reason": " "})
    assert bare.status_code == 422 and "请填写原因" in text_of(bare.text)
    done = await post(client, url, {"reason": "油瓶破损"})
    assert "done=refunded" in location(done)
    shown = text_of((await client.get(location(done))).text)
    assert "已退货：积分已退回志愿者" in shown and "油瓶破损" in shown
    twice = await post(client, url, {"reason": "再退一次"})
    assert twice.status_code == 422 and "这张小票已经退过货了" in text_of(twice.text)
    async with db.session_scope() as s:
        assert await s.scalar(select(StoreItem.stock).where(StoreItem.id == shop.oil.id)) == 10


async def test_a_clerk_keeps_the_stock_and_it_is_audited(client, session, db) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await log_in(client, shop.clerk)
    page = await client.get(f"/till/{shop.store.id}/stock")
    assert page.status_code == 200 and "不限数量（服务类）" in text_of(page.text)
    added = await post(client, f"/till/{shop.store.id}/stock/{shop.oil.id}", {"count": "3", "action": "add"})
    assert "done=stock" in location(added)
    counted = await post(client, f"/till/{shop.store.id}/stock/{shop.rice.id}", {"count": "4", "action": "set"})
    assert "done=stock" in location(counted)
    bad = await post(client, f"/till/{shop.store.id}/stock/{shop.rice.id}", {"count": "-1", "action": "set"})
    assert bad.status_code == 422 and "库存须为 0 或以上的整数" in text_of(bad.text)
    service = await post(client, f"/till/{shop.store.id}/stock/{shop.haircut.id}", {"count": "5", "action": "add"})
    assert service.status_code == 422 and "该物品不计库存" in text_of(service.text)
    async with db.session_scope() as s:
        stock = dict((await s.execute(select(StoreItem.id, StoreItem.stock))).all())
        assert stock[shop.oil.id] == 13 and stock[shop.rice.id] == 4 and stock[shop.haircut.id] is None
        entries = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "store_item.update"))).all()
        assert sorted(int(e.entity_id) for e in entries) == sorted([shop.oil.id, shop.rice.id])
        assert {e.actor_user_id for e in entries} == {shop.clerk.user.id}


async def test_the_volunteer_cannot_use_the_clerk_pages(client, session) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    await log_in(client, shop.volunteer)
    stock = await client.get(f"/till/{shop.store.id}/stock")
    assert stock.status_code == 403 and "您不是本店的店员" in text_of(stock.text)
    refused = await post(client, f"/till/{shop.store.id}/stock/{shop.oil.id}", {"count": "3", "action": "add"})
    assert refused.status_code == 403 and "您不是本店的店员" in text_of(refused.text)


async def test_manage_tells_a_clerk_and_a_volunteer_whose_pages_these_are(client, session) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    for person, home, link in ((shop.clerk, "/till", "去收银台"), (shop.volunteer, "/me", "返回首页")):
        client.cookies.clear()
        await log_in(client, person)
        page = await client.get("/manage")
        words = text_of(page.text)
        assert page.status_code == 403 and "这部分是社区工作人员" in words and "找不到这个页面" not in words
        assert f'id="home-link" href="{home}"' in page.text and link in words
