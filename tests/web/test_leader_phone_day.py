"""A team leader's morning on a phone (375 px, zh-CN): she lands on today's activities, opens the 代签 box with
one tap, checks in an elderly volunteer by the code on his card and the box stays open for the next person;
posting an activity offers only her own team, already ticked, and is not refused."""

from __future__ import annotations

import pytest

from servicebank.checkins.tokens import issue_card_token
from tests.web.conftest import logged_in
from tests.web.serve import SECRET_KEY

pytestmark = [pytest.mark.browser]


def test_leader_lands_on_today_and_checks_people_in_by_card(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = logged_in(browser, web_server, web_server["leader"])
    assert page.url.endswith("/lead/") or page.url.endswith("/lead"), page.url
    today = page.inner_text("#today")
    assert "社区义诊" in today and "敬老理发" in today and "防诈骗讲座" not in today, today
    page.screenshot(path=shots / "leader-01-today.png", full_page=True)

    page.locator("#today li").filter(has_text="社区义诊").get_by_role("link", name="凭卡代签").click()
    assert page.locator("#proxy-box").get_attribute("open") is not None
    card = issue_card_token(secret_key=SECRET_KEY, volunteer_id=web_server["elder_id"],
                            card_version=web_server["elder_card_version"])
    page.fill("#proxy-card", card)
    page.locator("#proxy-box button[name=purpose][value=check-in]").click()
    assert "孙桂兰" in page.inner_text(".flash")
    # Ready for the next card without another tap; approving is the organiser's, so no buttons for it here.
    assert page.locator("#proxy-box").get_attribute("open") is not None
    assert page.locator("#attendance form[action$='/decline']").count() == 0
    page.screenshot(path=shots / "leader-02-proxy-open.png", full_page=True)
    context.close()


def test_leader_posts_an_activity_for_her_own_team(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = logged_in(browser, web_server, web_server["leader"])
    page.goto(f"/manage/activities/new?community={web_server['community_id']}")
    teams = page.locator("input[name=team_ids]")
    assert teams.count() == 1 and teams.first.is_checked()
    assert "您是队长" in page.inner_text("#activity-form")
    page.fill("#title", "党员先锋队楼道清扫")
    page.fill("#starts_at", "2030-05-01T09:00")
    page.fill("#ends_at", "2030-05-01T11:00")
    page.locator("#activity-form button[type=submit]").click()
    assert "/manage/activities/" in page.url and "党员先锋队楼道清扫" in page.inner_text("h1"), page.inner_text("main")
    page.screenshot(path=shots / "leader-03-posted.png", full_page=True)
    context.close()
