"""培训情况 in chromium, zh-CN: the organiser at a desktop records a pre-service course on the volunteer page; the
volunteer's phone shows it under 培训情况, and their service hours stay as they were."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.conftest import logged_in
from tests.web.test_organiser_desktop_day import desktop

pytestmark = [pytest.mark.browser]


def test_the_organiser_records_a_course_and_the_volunteer_sees_it_apart(browser, web_server, shots) -> None:  # noqa: ANN001
    context, phone = logged_in(browser, web_server, web_server["claimant"])
    phone.goto("/me")
    hours_before = phone.inner_text("#my-hours")

    desk, page = desktop(browser, web_server)
    page.goto(f"/manage/volunteers/{web_server['claimant_id']}")
    page.locator("#trainings ~ details summary").filter(has_text="登记培训").click()
    page.select_option("#t-category", "pre_service")
    page.fill("#t-title", "助老服务岗前培训")
    page.fill("#t-provider", "街道社工站")
    page.fill("#t-day", dt.date.today().isoformat())
    page.fill("#t-minutes", "90")
    page.click("#training-form button[type=submit]")
    assert "培训已登记" in page.inner_text("main")
    assert "助老服务岗前培训" in page.inner_text("#training-list")
    page.screenshot(path=shots / "training-01-desk.png", full_page=True)
    desk.close()

    phone.goto("/me")
    totals = phone.inner_text("#training-totals")
    assert "1.5" in totals and "岗前培训" in totals, totals
    assert "助老服务岗前培训" in phone.inner_text("#training-list")
    assert phone.inner_text("#my-hours") == hours_before
    phone.locator("#trainings").scroll_into_view_if_needed()
    phone.screenshot(path=shots / "training-02-phone.png", full_page=True)
    context.close()
