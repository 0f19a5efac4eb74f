"""Every main page, as each kind of visitor, at a phone's 375 px: a title, labelled fields, no sideways scroll."""

from __future__ import annotations

import pytest

from tests.web.conftest import logged_in, new_phone

pytestmark = [pytest.mark.browser]

# Checks run in the page: no eval (our CSP forbids it), so these are plain functions Playwright passes over.
CHECK = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter(el => el.type !== 'hidden')
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map(el => el.name || el.id);
  return {title: document.title, width: document.documentElement.scrollWidth, unlabelled};
}"""

PUBLIC = ["/", "/login", "/leaderboard", "/verify", "/public/communities/{community_id}",
          "/public/communities/{community_id}/honours", "/public/communities/{community_id}/join"]
VOLUNTEER = ["/me", "/activities", "/me/card", "/me/code", "/me/certificates", "/me/stores", "/leaderboard",
             "/requests", "/requests/new", "/requests/hall", "/requests/tasks", "/me/claims"]
ORGANISER = ["/manage", "/manage/activities/new", "/manage/honours", "/leaderboard",
             "/manage/activities/{activity_id}", "/manage/activities/{activity_id}/edit",
             "/manage/activities/{activity_id}/kiosk", "/manage/series", "/manage/series/new",
             "/manage/series/{series_id}", "/manage/volunteers", "/manage/volunteers/new",
             "/manage/volunteers/{volunteer_id}", "/manage/volunteers/{volunteer_id}/edit",
             "/manage/volunteers/{volunteer_id}/card", "/manage/teams", "/manage/teams/{team_id}", "/manage/import",
             "/manage/reports", "/manage/certificates?q=王&volunteer={volunteer_id}",
             "/manage/honours/{list_id}/objections", "/manage/audit", "/manage/requests", "/manage/claims"]
CLERK = ["/till/{store_id}", "/till/{store_id}/redemptions", "/till/{store_id}/stock"]


def _sweep(page, paths: list[str], world: dict, shots, tag: str) -> list[str]:  # noqa: ANN001
    problems = []
    for raw in paths:
        path = raw.format(**world)
        response = page.goto(path)
        assert response is not None
        facts = page.evaluate(CHECK)
        name = tag + path.replace("/", "_").replace("?", "_").replace("&", "_").replace("=", "-")
        page.screenshot(path=shots / f"sweep{name}.png", full_page=True)
        if response.status != 200:
            problems.append(f"{tag} {path}: HTTP {response.status}")
        if not facts["title"].strip():
            problems.append(f"{tag} {path}: no <title>")
        if facts["width"] > 375:
            problems.append(f"{tag} {path}: {facts['width']} px wide at a 375 px viewport")
        if facts["unlabelled"]:
            problems.append(f"{tag} {path}: fields without a label: {facts['unlabelled']}")
        headers = response.headers
        if "frame-ancestors 'none'" not in headers.get("content-security-policy", ""):
            problems.append(f"{tag} {path}: no CSP")
    return problems


def test_main_pages_fit_a_phone_and_label_their_fields(browser, web_server, shots) -> None:  # noqa: ANN001
    problems = []
    context, page = new_phone(browser, web_server["base"])
    problems += _sweep(page, PUBLIC, web_server, shots, "public")
    context.close()
    for tag, login, paths in (("volunteer", web_server["volunteer"], VOLUNTEER),
                              ("organiser", web_server["organiser"], ORGANISER),
                              ("clerk", web_server["clerk"], CLERK)):
        context, page = logged_in(browser, web_server, login)
        problems += _sweep(page, paths, web_server, shots, tag)
        context.close()
    assert not problems, "\n".join(problems)


def test_large_text_and_english_switches_are_remembered(browser, web_server) -> None:  # noqa: ANN001
    context, page = new_phone(browser, web_server["base"])
    page.goto("/leaderboard")
    assert page.title().startswith("排行榜")
    page.click("button[name=big]")
    page.wait_for_selector("body.big-text", timeout=20_000)
    page.click("button[name=lang]")
    page.wait_for_function("() => document.title.startsWith('Leaderboard')", timeout=20_000)
    page.goto("/")
    assert "big-text" in (page.get_attribute("body", "class") or "")
    assert page.inner_text("h1") == "Welcome to the Service Bank"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375
    context.close()
