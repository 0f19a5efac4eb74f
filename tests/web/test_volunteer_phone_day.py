"""A volunteer's morning on a phone (375 px, zh-CN): a full show offers the waiting list in words, she joins
it and sees her place in line, gives it back after being asked to confirm, and an activity that has begun
offers no withdrawal at all."""

from __future__ import annotations

import pytest

from tests.web.conftest import logged_in

pytestmark = [pytest.mark.browser]


def test_full_activity_waitlist_and_a_confirmed_withdrawal(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = logged_in(browser, web_server, web_server["volunteer"])
    page.goto("/activities")
    show = page.locator("#activities li").filter(has_text="重阳节文艺演出")
    assert "名额已满" in show.inner_text() and "前面有 0 人在等" in show.inner_text()
    assert "只对部分服务队开放的活动不在这里显示" in page.inner_text("#team-only-hint")
    page.screenshot(path=shots / "vol-phone-01-full.png", full_page=True)
    show.get_by_role("button", name="候补报名").click()

    mine = page.locator("#my-signups li").filter(has_text="重阳节文艺演出")
    assert "候补第 1 位" in mine.inner_text()
    # The clinic has begun: no way to withdraw from it here.
    assert "取消报名" not in page.locator("#my-signups li").filter(has_text="社区义诊").inner_text()
    page.screenshot(path=shots / "vol-phone-02-waitlisted.png", full_page=True)

    # Withdrawing asks first, in words, and only the confirmation button gives the place back.
    mine.locator("summary").click()
    assert "名额会让给下一位候补的人" in mine.inner_text()
    mine.get_by_role("button", name="确定取消报名").click()
    assert "已取消报名" in page.locator("#my-signups li").filter(has_text="重阳节文艺演出").inner_text()
    page.screenshot(path=shots / "vol-phone-03-withdrawn.png", full_page=True)
    context.close()


def test_stars_stay_on_one_line_in_large_text(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = logged_in(browser, web_server, web_server["volunteer"])
    for width in (320, 375):
        page.set_viewport_size({"width": width, "height": 740})
        page.goto("/me")
        if page.locator("button[name=big][value='1']").count():
            page.click("button[name=big][value='1']")
        stars = page.locator(".num.stars")
        line = float(stars.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert stars.bounding_box()["height"] < 1.5 * line, (width, stars.bounding_box())
        box = stars.bounding_box()
        card = page.locator(".card").filter(has=stars).bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"] + 1
    page.screenshot(path=shots / "vol-phone-04-large-text.png", full_page=True)
    context.close()
