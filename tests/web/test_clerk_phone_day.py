"""A store clerk's day on a phone (375 px, zh-CN): log in to the till, take a volunteer's code, pick with +/−
against a running total, redeem and see the receipt, refund one redemption with a reason, count goods in, be
refused a spent code at once, and be told politely that /manage is for community staff. Without JavaScript the
cart still works."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebank.checkins.tokens import issue_card_token
from servicebank.stores.codes import issue_code
from tests.web.conftest import logged_in
from tests.web.serve import SECRET_KEY

pytestmark = [pytest.mark.browser]


def shopper_code(world: dict) -> str:
    # Ten minutes instead of the phone's two: the code must outlive a slow machine (waiting, not timing).
    return issue_code(secret_key=SECRET_KEY, volunteer_id=world["shopper_id"], now=dt.datetime.now(dt.UTC),
                      lifetime=dt.timedelta(minutes=10)).code


def item_row(page, name: str):  # noqa: ANN001, ANN201
    return page.locator("#cart li", has_text=name)


def test_clerk_phone_day(browser, web_server, shots) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    store = web_server["day_store_id"]
    context, page = logged_in(browser, web_server, web_server["day_clerk"])
    assert page.url.endswith(f"/till/{store}")
    page.screenshot(path=shots / "clerk-01-till.png", full_page=True)

    # The volunteer's code, typed (the camera takes it the same way: tests/web/test_camera_scan.py).
    code = shopper_code(web_server)
    page.fill("#code", code)
    page.click("button[type=submit].big")
    assert page.inner_text("#balance") == "300" and web_server["shopper_number"] in page.inner_text("main")
    # What cannot be taken says why.
    assert "不可兑换：库存不足" in item_row(page, "鸡蛋").inner_text()
    assert "不可兑换：已达到该物品本月限兑数量" in item_row(page, "食用油").inner_text()
    assert "不可兑换：积分不足" in item_row(page, "电饭煲").inner_text()

    # +/− with a running total against the balance; the monthly limit (2 bags) stops the + button.
    rice, haircut = item_row(page, "大米"), item_row(page, "理发")
    expect(page.locator("#cart-total")).to_be_visible()
    plus, minus = rice.get_by_role("button", name="加一"), rice.get_by_role("button", name="减一")
    assert minus.is_disabled()
    plus.click()
    plus.click()
    assert plus.is_disabled() and rice.locator("input.qty").input_value() == "2"
    haircut.get_by_role("button", name="加一").click()
    assert page.inner_text("#cart-points") == "80"
    minus.click()
    assert page.inner_text("#cart-points") == "50" and page.locator("#cart-over").is_hidden()
    box = plus.bounding_box()
    assert box is not None and box["width"] >= 48 and box["height"] >= 48  # a thumb's target
    page.screenshot(path=shots / "clerk-02-cart.png", full_page=True)

    page.click("button[type=submit].big")
    receipt = page.inner_text("#receipt")
    assert "大米 × 1" in receipt and "理发 × 1" in receipt and "合计: 50" in receipt.replace("：", ": ")
    receipt_no = receipt.split("·")[1].split()[0]
    page.screenshot(path=shots / "clerk-03-receipt.png", full_page=True)

    # The haircut was not wanted after all: refund the receipt, with a reason.
    page.click("text=下一位")
    page.click("text=退货")
    row = page.locator("#receipts li", has_text=receipt_no)
    row.locator("summary").click()
    row.locator("input[name=reason]").fill("顾客改日再来理发")
    row.get_by_role("button", name="退还 50 积分").click()
    assert "已退货" in page.inner_text(".flash")
    row = page.locator("#receipts li", has_text=receipt_no)
    assert "顾客改日再来理发" in row.inner_text() and "已退还" in row.inner_text()
    page.screenshot(path=shots / "clerk-04-refunded.png", full_page=True)

    # Goods in: five bags of rice arrived (the refund put the one bag back: 20).
    page.click("text=返回收银台")
    page.click("text=库存")
    rice_stock = page.locator(f"#item-{web_server['day_rice_id']}")
    assert rice_stock.locator(".stock-count").inner_text() == "20"
    rice_stock.locator("input[name=count]").fill("5")
    rice_stock.get_by_role("button", name="入库（增加）").click()
    assert "库存已保存" in page.inner_text(".flash")
    assert page.locator(f"#item-{web_server['day_rice_id']} .stock-count").inner_text() == "25"
    page.screenshot(path=shots / "clerk-05-stock.png", full_page=True)

    # The spent code again: refused at the scan, in Chinese, before any item is shown.
    page.click("text=返回收银台")
    page.fill("#code", code)
    page.click("button[type=submit].big")
    assert "这个码已经用过了" in page.inner_text("#refusal")
    assert page.locator("#balance").count() == 0
    page.screenshot(path=shots / "clerk-06-used-code.png", full_page=True)

    # /manage is for community staff: said in words, with the way back to the till.
    page.goto("/manage")
    assert "这部分是社区工作人员" in page.inner_text("main")
    page.screenshot(path=shots / "clerk-07-manage.png", full_page=True)
    page.click("#home-link")
    assert page.url.endswith(f"/till/{store}")
    context.close()


def test_a_card_without_a_pin_is_paid_by_a_texted_code(browser, web_server, shots) -> None:  # noqa: ANN001
    """The shopper set no card PIN: the till does not refuse the card, it leads with texting a code to her phone."""
    from playwright.sync_api import expect

    context, page = logged_in(browser, web_server, web_server["day_clerk"])
    card = issue_card_token(secret_key=SECRET_KEY, volunteer_id=web_server["shopper_id"],
                            card_version=web_server["shopper_card_version"])
    page.fill("#code", card)
    page.click("button[type=submit].big")
    expect(page.locator("#pay-by-text")).to_contain_text("没有设置消费密码")
    assert page.locator("input[name=pin]").count() == 0 and page.locator("#pin-not-set").count() == 0
    page.screenshot(path=shots / "clerk-08-card-no-pin.png", full_page=True)
    page.get_by_role("button", name="给志愿者手机发验证码").click()
    expect(page.locator("#code-texted")).to_contain_text("6 位验证码已发到")
    expect(page.locator("#sms_code")).to_be_visible()
    expect(page.get_by_role("button", name="确认兑换")).to_be_visible()
    page.screenshot(path=shots / "clerk-09-code-texted.png", full_page=True)
    context.close()


def test_the_cart_works_without_javascript(browser, web_server, shots) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=web_server["base"],
                                  locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    page.fill("#login", web_server["day_clerk"])
    page.fill("#password", web_server["password"])
    page.click("button[type=submit].big")
    page.fill("#code", shopper_code(web_server))
    page.click("button[type=submit].big")
    rice = item_row(page, "大米")
    assert rice.get_by_role("button", name="加一").is_hidden() and page.locator("#cart-total").is_hidden()
    rice.locator("input.qty").fill("1")
    page.screenshot(path=shots / "clerk-08-no-js.png", full_page=True)
    page.click("button[type=submit].big")
    assert "大米 × 1" in page.inner_text("#receipt")
    context.close()
