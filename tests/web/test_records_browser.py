"""A volunteer records a health certificate on a phone (375 px, zh-CN); the organiser checks it at the desk; the
volunteer sees it counted. The masked number is all either of them ever sees."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.conftest import logged_in
from tests.web.test_organiser_desktop_day import desktop

pytestmark = [pytest.mark.browser]


def test_a_certificate_from_the_phone_to_the_organisers_check(browser, web_server, shots) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    context, page = logged_in(browser, web_server, web_server["volunteer"])
    page.goto("/me")
    expect(page.locator("#my-qualifications")).to_contain_text("我的证书")
    page.locator("#my-qualifications ~ details summary", has_text="登记证书").click()
    page.select_option("#q-code", "health_certificate")
    page.fill("#q-issuer", "区疾控中心")
    page.fill("#q-number", "JK20260778899")
    page.fill("#q-until", (dt.date.today() + dt.timedelta(days=300)).isoformat())
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator(".flash").first).to_contain_text("证书已登记")
    mine = page.locator("#my-qualification-list")
    expect(mine).to_contain_text("健康证")
    expect(mine).to_contain_text("等待社工核验")
    assert "0778899" not in mine.inner_text() and "JK*******8899" in mine.inner_text()
    page.screenshot(path=shots / "records-01-my-certificate.png", full_page=True)
    context.close()

    desk, page = desktop(browser, web_server)
    page.goto(f"/manage/volunteers/{web_server['volunteer_id']}")
    listed = page.locator("#qualification-list")
    expect(listed).to_contain_text("等待社工核验")
    listed.get_by_role("button", name="已核验证书原件").click()
    expect(page.locator(".flash").first).to_contain_text("证书已核验")
    expect(page.locator("#qualification-list")).to_contain_text("有效，已核验")
    page.screenshot(path=shots / "records-02-checked.png", full_page=True)
    desk.close()

    context, page = logged_in(browser, web_server, web_server["volunteer"])
    page.goto("/me")
    expect(page.locator("#my-qualification-list")).to_contain_text("有效，已核验")
    context.close()
