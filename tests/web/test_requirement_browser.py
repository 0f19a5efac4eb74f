"""服务要求 in chromium, zh-CN, at a desktop: the organiser opens it from the dashboard (the world already asks insurance for
扫雪除冰), makes a kind of help require insurance, sees it listed in words, and lifts it again (the shared world is left as it was)."""

from __future__ import annotations

import pytest

from tests.web.test_no_english_on_zh_pages import SHOWN, english_in
from tests.web.test_organiser_desktop_day import desktop

pytestmark = [pytest.mark.browser]


def test_an_organiser_requires_insurance_for_a_kind_of_help_and_lifts_it(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server)
    page.goto(f"/manage?community={web_server['community_id']}")
    page.click("#go-requirements")
    page.wait_for_url("**/manage/requirements?community=*")
    assert page.inner_text("h1") == "服务要求"
    assert "扫雪除冰" in page.inner_text("#covered") and "法律咨询" not in page.inner_text("#covered")
    page.select_option("#req-target", label="法律咨询")
    page.click("#insurance-requirement-form button[type=submit]")
    page.wait_for_url("**done=requirement_set")
    assert "要求已保存" in page.inner_text(".flash")
    assert "居民需求：法律咨询" in page.inner_text("#covered")
    assert not english_in(page.evaluate(SHOWN))
    page.screenshot(path=shots / "requirements-01-insurance-set.png", full_page=True)
    page.locator("#covered li").filter(has_text="法律咨询").get_by_role("button", name="取消要求").click()
    page.wait_for_url("**done=requirement_lifted")
    assert "要求已取消" in page.inner_text(".flash")
    assert "法律咨询" not in page.inner_text("#covered") and "扫雪除冰" in page.inner_text("#covered")
    page.screenshot(path=shots / "requirements-02-lifted.png", full_page=True)
    context.close()
