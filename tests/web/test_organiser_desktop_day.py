"""The organiser's desktop day in chromium (1366 px, zh-CN): the 待处理 list on the dashboard leads to
yesterday's record, a refused adjustment stays on the page with the typed reason, a weekly series with the
default two-hour length saves, an activity shows its sign-ups and waitlist, the team form says what it asks, and
a finished month's honour list goes from a sectioned draft to its notice period without leaving the page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest

pytestmark = [pytest.mark.browser]


def desktop(browser, world: dict):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=world["base"], locale="zh-CN")
    page = context.new_page()
    page.goto("/login")
    page.fill("#login", world["organiser"])
    page.fill("#password", world["password"])
    page.click("button[type=submit].big")
    return context, page


def test_dashboard_lists_what_waits_and_every_past_activity(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server)
    page.goto(f"/manage?community={web_server['community_id']}")
    todo = page.inner_text("#todo")
    assert "河道清洁" in todo and "1 条记录待审核" in todo, todo
    assert "一月光荣榜" in todo and "1 条异议待答复" in todo, todo
    # The two honour-list buttons say where they go.
    menu = page.inner_text("#manage-menu")
    assert "光荣榜公示页（居民看到的）" in menu
    page.screenshot(path=shots / "org-desktop-01-dashboard.png", full_page=True)

    page.click("#past-activities")
    assert "河道清洁" in page.inner_text("#activity-list")
    page.screenshot(path=shots / "org-desktop-02-past.png", full_page=True)
    context.close()


def test_a_refused_adjustment_stays_inline_with_what_was_typed(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server)
    page.goto(f"/manage?community={web_server['community_id']}")
    page.click(f"#todo a[href='/manage/activities/{web_server['past_activity_id']}']")
    record = page.locator("#attendance li").first
    record.locator("summary").filter(has_text="调整时间").click()
    # Out before in: refused, and the reason typed is still there to correct the times.
    adjust = record.locator("form[action$='/adjust']")
    adjust.locator("input[name=checked_in_at]").fill("2020-01-01T10:00")
    adjust.locator("input[name=checked_out_at]").fill("2020-01-01T09:00")
    adjust.locator("input[name=reason]").fill("签退时间记错了，按现场登记表改")
    adjust.locator("button").click()
    error = page.inner_text("#record-error")
    assert error and "河道清洁" in page.inner_text("h1"), error
    kept = page.locator("#attendance form[action$='/adjust']").first
    assert kept.locator("input[name=reason]").input_value() == "签退时间记错了，按现场登记表改"
    assert kept.locator("input[name=checked_out_at]").input_value() == "2020-01-01T09:00"
    page.screenshot(path=shots / "org-desktop-03-adjust-refused.png", full_page=True)

    # Approving works from the same page, and the list then has nothing waiting.
    page.locator("#attendance form[action$='/approve'] button").first.click()
    assert page.locator("#attendance .badge").first.inner_text() == "已通过"
    page.goto(f"/manage?community={web_server['community_id']}")
    assert "河道清洁" not in page.inner_text("#todo")
    context.close()


def test_weekly_series_with_the_default_two_hours_saves(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server)
    page.goto(f"/manage/series/new?community={web_server['community_id']}")
    page.fill("#title", "周三读书会")
    page.check("input[name=weekday][value=WE]")
    assert page.input_value("#length_minutes") == "120"
    page.click("#series-form button[type=submit]")
    assert "/manage/series/" in page.url, page.inner_text("main") if page.locator("main").count() else page.url
    dates = page.inner_text("#series-dates")
    assert "09:00 – 11:00" in dates, dates
    page.screenshot(path=shots / "org-desktop-04-series.png", full_page=True)
    # 90 minutes too: any whole number of minutes is accepted.
    page.goto(f"/manage/series/new?community={web_server['community_id']}")
    page.fill("#title", "周五合唱")
    page.check("input[name=weekday][value=FR]")
    page.fill("#length_minutes", "90")
    page.click("#series-form button[type=submit]")
    assert "09:00 – 10:30" in page.inner_text("#series-dates")
    context.close()


def test_activity_page_shows_places_sign_ups_and_waitlist(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server)
    page.goto(f"/manage/activities/{web_server['full_activity_id']}")
    assert "已报名 1 / 名额 1" in page.inner_text("#capacity")
    assert "候补 1 人" in page.inner_text("#capacity")
    assert web_server["volunteer_name"] in page.inner_text("#signups")
    assert "周大爷" in page.inner_text("#waitlist")
    page.screenshot(path=shots / "org-desktop-05-signups.png", full_page=True)
    context.close()


def test_team_form_asks_for_a_team_name_and_icon_answers(browser, web_server) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server)
    page.goto(f"/manage/teams?community={web_server['community_id']}")
    assert page.inner_text("label[for=team-name]") == "队伍名称"
    assert page.inner_text("label[for=team-description]") == "队伍简介"
    context.close()
    icon = httpx.get(f"{web_server['base']}/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"


def test_honour_list_draft_in_sections_published_in_place(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server)
    page.goto(f"/manage/honours?community={web_server['community_id']}")
    assert "并列同名次" in page.inner_text("main")
    page.fill("#month", web_server["month_before_last"])
    page.click("form[action='/manage/honours/generate'] button")
    year, month = web_server["month_before_last"].split("-")
    draft = page.locator("#honour-lists li.honour-list").filter(has_text=f"{year}年{int(month)}月")
    assert draft.locator(".honour-state").inner_text() == "草稿"
    # People and teams each in their own section, each starting at 第 1 名.
    people = draft.locator("ol[data-section=top_volunteers] li")
    teams = draft.locator("ol[data-section=top_teams] li")
    assert people.first.inner_text().startswith(f"第 1 名 {web_server['honour_name']}")
    assert teams.first.inner_text().startswith("第 1 名 巾帼志愿队")
    assert "巾帼志愿队" not in draft.locator("ol[data-section=top_volunteers]").inner_text()
    page.screenshot(path=shots / "org-desktop-06-honour-draft.png", full_page=True)

    draft.locator("form[action$='/publish'] button").click()
    assert "/manage/honours" in page.url and "/public/" not in page.url
    ends = (dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=7)).strftime("%Y-%m-%d")
    assert f"已发布，公示期至 {ends}" in page.inner_text(".flash")
    assert page.locator("#honour-announced a").get_attribute("href").startswith(
        f"/public/communities/{web_server['community_id']}/honours?list_id=")
    published = page.locator("#honour-lists li.honour-list").filter(has_text=f"{year}年{int(month)}月")
    assert published.locator(".honour-state").inner_text() == f"公示中，至 {ends}"
    assert "第 1 版" in published.inner_text() and "更正并重新公示" in published.inner_text()
    page.screenshot(path=shots / "org-desktop-07-honour-published.png", full_page=True)
    context.close()


def test_kiosk_is_a_public_screen_that_fits_a_laptop(browser, web_server, shots) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=web_server["base"],
                                  locale="zh-CN")
    page = context.new_page()
    page.goto("/login")
    page.fill("#login", web_server["organiser"])
    page.fill("#password", web_server["password"])
    page.click("button[type=submit].big")

    page.goto(f"/manage/activities/{web_server['open_activity_id']}/kiosk")
    body = page.inner_text("body")
    assert "退出" not in body and "社工小李" not in body and "排行榜" not in body, body
    for selector in ("#kiosk-qr", "#count-in", "#count-expected"):
        box = page.locator(selector).bounding_box()
        assert box and box["y"] + box["height"] <= 800, (selector, box)
    page.screenshot(path=shots / "kiosk-01-laptop.png")

    page.goto(f"/manage/activities/{web_server['open_activity_id']}/kiosk?purpose=check-out")
    assert page.inner_text("#kiosk-url") == "打开签退链接"

    # A date next week: no code to scan yet, and the screen says when there will be one.
    page.goto(f"/manage/activities/{web_server['full_activity_id']}/kiosk")
    assert page.locator("#kiosk-qr").count() == 0
    assert "签到将于" in page.inner_text("#kiosk-wait")
    page.screenshot(path=shots / "kiosk-02-not-open.png")
    context.close()
