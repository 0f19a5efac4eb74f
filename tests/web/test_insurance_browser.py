"""保险 in chromium, zh-CN: a volunteer's phone (390×844) is refused a snow-clearing sign-up for want of insurance;
the organiser at a desktop records the volunteer's policy on the volunteer page; the same sign-up then succeeds and
the phone shows the cover under 我的保险."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.conftest import logged_in
from tests.web.test_organiser_desktop_day import desktop

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def test_refused_without_cover_then_accepted_once_the_organiser_records_it(browser, web_server, shots) -> None:  # noqa: ANN001
    context, phone = logged_in(browser, web_server, web_server["insured"], viewport=PHONE)
    phone.goto("/activities")
    snow = phone.locator("#activities li").filter(has_text="雪后扫雪除冰")
    snow.get_by_role("button", name="报名").click()
    refusal = phone.inner_text("main")
    assert "保险" in refusal and "请先请社工登记您的保险" in refusal, refusal
    phone.screenshot(path=shots / "insurance-01-phone-refused.png", full_page=True)

    desk, page = desktop(browser, web_server)
    page.goto(f"/manage/volunteers/{web_server['insured_id']}")
    assert "还没有登记保险" in page.inner_text("#cover-list")
    page.locator("#insurance ~ details summary").filter(has_text="登记保险").click()
    today = dt.date.today()
    page.fill("#cover-form-insurer", "中国人寿")
    page.fill("#cover-form-number", "PICC 2026 0088 4321")
    page.fill("#cover-form-from", today.isoformat())
    page.fill("#cover-form-until", (today + dt.timedelta(days=365)).isoformat())
    page.click("#cover-form button[type=submit]")
    assert "保险已登记" in page.inner_text("main")
    covers = page.inner_text("#cover-list")
    assert "中国人寿" in covers and "PI**********4321" in covers and "保障中" in covers and "0088" not in covers
    page.locator("#insurance").scroll_into_view_if_needed()
    page.screenshot(path=shots / "insurance-02-desk-recorded.png", full_page=True)
    desk.close()

    phone.goto("/activities")
    phone.locator("#activities li").filter(has_text="雪后扫雪除冰").get_by_role("button", name="报名").click()
    assert "雪后扫雪除冰" in phone.inner_text("#my-signups"), phone.inner_text("main")
    phone.screenshot(path=shots / "insurance-03-phone-signed-up.png", full_page=True)
    phone.goto("/me")
    mine = phone.inner_text("#my-cover-list")
    assert "中国人寿" in mine and "保障中" in mine
    phone.locator("#my-insurance").scroll_into_view_if_needed()
    phone.screenshot(path=shots / "insurance-04-phone-my-cover.png")
    context.close()
