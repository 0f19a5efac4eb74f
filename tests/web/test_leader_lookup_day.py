"""A team leader at the kitchen door on her phone (375 px, zh-CN): an elderly member of her team came without his
card, so she finds him by name in the 代签 box, checks him in, and later out; the box and the results stay on the
screen the whole time, and a namesake outside her teams is never offered."""

from __future__ import annotations

import pytest

from tests.web.conftest import logged_in

pytestmark = [pytest.mark.browser]


def test_leader_finds_a_volunteer_by_name_and_checks_them_in_and_out(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = logged_in(browser, web_server, web_server["leader"])
    row = page.locator("#today li").filter(has_text="长者食堂帮厨")
    assert row.count() == 1, page.inner_text("#today")
    row.get_by_role("link", name="凭卡代签").click()
    # The click returns once the new page has committed; a screenshot before its first paint fails in chromium.
    page.wait_for_load_state("load")
    assert f"/manage/activities/{web_server['kitchen_activity_id']}" in page.url
    assert page.locator("#proxy-box").get_attribute("open") is not None
    page.screenshot(path=shots / "lookup-01-box-open.png", full_page=True)

    page.fill("#proxy-find-q", "钱秀")
    page.locator("#proxy-find button[type=submit]").click()
    found = page.locator("#proxy-found li")
    assert found.count() == 1, page.inner_text("#proxy-found")
    assert "钱秀珍" in found.inner_text() and "137****3721" in found.inner_text()
    assert "钱秀英" not in page.inner_text("main")  # not in any team she leads
    assert page.locator("#proxy-box").get_attribute("open") is not None
    page.screenshot(path=shots / "lookup-02-found.png", full_page=True)

    found.get_by_role("button", name="代为签到").click()
    assert "钱秀珍：签到成功" in page.inner_text(".flash")
    assert page.locator("#proxy-box").get_attribute("open") is not None
    assert "已签到" in page.locator("#proxy-found li").inner_text()
    assert page.input_value("#proxy-find-q") == "钱秀"
    page.screenshot(path=shots / "lookup-03-checked-in.png", full_page=True)

    page.locator("#proxy-found li").get_by_role("button", name="代为签退").click()
    assert "钱秀珍：签退成功" in page.inner_text(".flash")
    assert page.locator("#proxy-box").get_attribute("open") is not None
    assert "已签退" in page.locator("#proxy-found li").inner_text()
    record = page.locator("#attendance li").filter(has_text="钱秀珍").inner_text()
    assert "已签退" in record and "代签到" in record and "代签退" in record, record
    # Nothing sticks out sideways on the phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=shots / "lookup-04-checked-out.png", full_page=True)
    context.close()
