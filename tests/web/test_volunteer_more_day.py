"""A patrol member's day on a phone (375 px, zh-CN), and what the public sees: his twice-weekly patrol is one row
with its schedule in words; he gives points to his daughter until the monthly cap refuses in words; he asks for a
service certificate; he looks up the store's address, hours and prices. A visitor reads the community's calendar
of the coming weeks and how to join, and registers. At a venue with a geofence that refuses check-ins from afar,
the check-in page sends the phone's position: far away is refused, no position is refused, at the venue works."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebank.checkins import tokens
from tests.web.conftest import logged_in, new_phone
from tests.web.serve import SECRET_KEY

pytestmark = [pytest.mark.browser]


def test_series_gift_certificate_and_store(browser, web_server, shots) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    context, page = logged_in(browser, web_server, web_server["patroller"])
    expect(page.locator("h1")).to_contain_text("刘建国")

    # 25-odd patrol dates are one row: title, the schedule in words, the next date, every date on demand.
    patrol_rows = page.locator("#my-signups > li").filter(has_text="楼栋夜间巡逻")
    expect(patrol_rows).to_have_count(1)
    row = patrol_rows.first
    assert "每周" in row.inner_text() and "周二" in row.inner_text() and "周四" in row.inner_text()
    assert f"已报名 {web_server['patrol_dates']} 次" in row.inner_text()
    assert "下一次：" in row.inner_text()
    expect(row.locator("details.dates li")).to_have_count(web_server["patrol_dates"])
    row.locator("summary", has_text="查看全部日期").click()
    expect(row.locator("details.dates li").first).to_be_visible()
    page.screenshot(path=shots / "more-01-series.png", full_page=True)

    # A gift to his daughter, along the confirmed family link, within the cap of 30 a month.
    page.get_by_role("link", name="转赠积分给家人").click()
    expect(page.locator("#gift-cap")).to_contain_text("每月最多转赠 30 积分：本月已转赠 0，还可转赠 30")
    assert page.locator("#gift-to option").all_inner_texts() == ["刘小红"]
    page.fill("#gift-amount", "20")
    page.fill("#gift-memo", "给女儿买菜")
    page.get_by_role("button", name="确认转赠").click()
    expect(page.locator(".flash.ok")).to_contain_text("积分已转赠")
    expect(page.locator("#my-points")).to_have_text("80")
    expect(page.locator("#gift-cap")).to_contain_text("本月已转赠 20，还可转赠 10")
    page.screenshot(path=shots / "more-02-gift.png", full_page=True)
    # Another 20 would pass the cap: refused in words, nothing moves.
    page.fill("#gift-amount", "20")
    page.get_by_role("button", name="确认转赠").click()
    expect(page.locator("#gift ~ .result.bad").first).to_contain_text("超过社区规定的每月上限")
    expect(page.locator("#my-points")).to_have_text("80")
    page.screenshot(path=shots / "more-03-gift-cap.png", full_page=True)

    # A certificate for the period: a period ending after today is refused, then the request goes to the organiser.
    page.get_by_role("link", name="申请服务证明").click()
    today = dt.date.today()
    page.fill("#cert-start", (today - dt.timedelta(days=90)).isoformat())
    page.fill("#cert-end", (today + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".result.bad")).to_contain_text("结束日期最晚为今天")
    page.fill("#cert-end", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#cert-purpose", "单位评优")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".flash.ok")).to_contain_text("申请已提交")
    expect(page.locator("#certificates")).to_contain_text("等待社区工作者出具")
    expect(page.locator("#certificate-request")).to_have_count(0)
    page.screenshot(path=shots / "more-04-certificate.png", full_page=True)

    # The store: address, opening hours, prices in points and the stock.
    page.goto("/me")
    page.get_by_role("link", name="去爱心超市兑换").click()
    store = page.locator(f"#store-{web_server['patrol_store_id']}")
    expect(store).to_contain_text("幸福爱心超市")
    expect(store).to_contain_text("地址：幸福路12号一楼")
    expect(store).to_contain_text("营业时间：周一至周五 9:00-17:00")
    oil = store.locator("li").filter(has_text="食用油")
    expect(oil).to_contain_text("40 积分/桶")
    expect(oil).to_contain_text("库存 8")
    expect(store.locator("li").filter(has_text="理发")).to_contain_text("不限量")
    expect(page.locator("#store-balance")).to_have_text("80")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=shots / "more-05-store.png", full_page=True)
    context.close()


def test_public_calendar_and_how_to_join(browser, web_server, shots) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    context, page = new_phone(browser, web_server["base"])
    page.goto(f"/public/communities/{web_server['patrol_community_id']}")
    expect(page.locator("h2").first).to_contain_text("未来 4 周的活动")
    days = page.locator("#calendar section.day")
    # Two patrol days a week for four weeks, and today's flood watch: one block per day, soonest first.
    assert days.count() >= 8
    heads = days.locator("h3").all_inner_texts()
    assert all("月" in h and "日" in h for h in heads), heads
    assert sum("周二" in h or "周四" in h for h in heads) >= 8
    expect(days.first).to_contain_text("防汛值守")
    expect(days.filter(has_text="楼栋夜间巡逻").first.locator("li")).to_have_count(1)
    steps = page.locator("#join-steps")
    for words in ("注册", "社区审核", "二维码卡", "扫屏幕上的二维码", "签到"):
        expect(steps).to_contain_text(words)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=shots / "more-06-public.png", full_page=True)

    page.click("#join-link")
    page.fill("#join-name", "赵新民")
    page.fill("#join-phone", "13712345678")
    page.fill("#join-password", "short")
    page.evaluate("document.getElementById('join-password').removeAttribute('minlength')")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator(".result.bad")).to_be_visible()
    page.fill("#join-password", "xinmin2026ok")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator("#join-done")).to_contain_text("申请已提交")
    page.screenshot(path=shots / "more-07-joined.png", full_page=True)
    # A new phone logs in at once and waits for the community's approval.
    page.click("#join-login")
    page.fill("#login", "13712345678")
    page.fill("#password", "xinmin2026ok")
    page.click("button[type=submit].big")
    expect(page.locator("#account-state")).to_contain_text("等待社区工作者审核")
    context.close()


def _scan(browser, web_server, shots, name: str, **position) -> str:  # noqa: ANN001, ANN003
    """Open the kiosk's check-in code on the patroller's phone, press 签到 and return what the page says."""
    context, page = logged_in(browser, web_server, web_server["patroller"], **position)
    token = tokens.issue_kiosk_token(secret_key=SECRET_KEY, rotation_seconds=30,
                                     activity_id=web_server["fenced_activity_id"], purpose=tokens.CHECK_IN,
                                     now=dt.datetime.now(dt.UTC)).token
    page.goto(f"/c/{token}")
    page.get_by_role("button", name="签到").click()
    page.wait_for_selector(".result")
    page.screenshot(path=shots / name, full_page=True)
    said = page.inner_text(".result")
    context.close()
    return said


def test_check_in_sends_the_position_to_a_refusing_geofence(browser, web_server, shots) -> None:  # noqa: ANN001
    lat, lon = web_server["fence"]
    far = _scan(browser, web_server, shots, "more-08-far.png", permissions=["geolocation"],
                geolocation={"latitude": lat + 0.05, "longitude": lon + 0.05})
    assert "离活动地点太远" in far
    # Position refused by the person: the page still sends the check-in, and the geofence says what to do.
    unknown = _scan(browser, web_server, shots, "more-09-no-position.png", permissions=[])
    assert "请允许本页面获取您的位置" in unknown
    there = _scan(browser, web_server, shots, "more-10-at-venue.png", permissions=["geolocation"],
                  geolocation={"latitude": lat + 0.0005, "longitude": lon + 0.0005})
    assert "签到成功" in there
