"""No English sentence on a zh-CN page: every page each role reaches, in chromium, and a few refusals.

A run of three or more ASCII words is an English sentence; brand names, the "English" switch, units and codes
are allowed below. A failure lists the page and the sentence: add its Chinese to
platform/web/locales/zh_CN/LC_MESSAGES/messages.po (and its code to platform/error_codes.py for a refusal).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from servicebank.checkins.tokens import issue_kiosk_token
from tests.web.conftest import logged_in, new_phone
from tests.web.serve import SECRET_KEY
from tests.web.test_pages_sweep import CLERK, ORGANISER, PUBLIC, VOLUNTEER

pytestmark = [pytest.mark.browser]

ENGLISH = re.compile(r"[A-Za-z]+(?:[ \t,.'’:;!?&/-]+[A-Za-z]+){2,}[.!?]?")
# Words that may stand in a Chinese page: the language switch, brand and file names, units and formats.
ALLOWED = re.compile(r"\b(?:English|Service Bank|Excel|WPS|QR|PDF|CSV|xlsx|csv|png|svg|SVG|RRULE|ID|km|m|"
                     r"YYYY-MM(?:-DD)?|HH:MM|e\.g\.|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b")
LEADER = ["/lead", "/manage", "/manage/activities/{open_activity_id}", "/manage/activities/new",
          "/manage/volunteers", "/manage/teams/{team_id}", "/manage/series"]
# What the browser sees of a page: its rendered text with every <details> open, its title, and the words a field
# shows before anything is typed.
# A form the page itself does not offer (the team-only activity is not listed), posted with the page's CSRF token.
POST = """(action) => {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = action;
  const token = document.createElement('input');
  token.type = 'hidden';
  token.name = 'csrf_token';
  token.value = document.querySelector('meta[name=csrf-token]').content;
  form.appendChild(token);
  document.body.appendChild(form);
  form.submit();
}"""
SHOWN = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const hints = [...document.querySelectorAll('[placeholder], [aria-label], img[alt]')]
    .map(el => el.getAttribute('placeholder') || el.getAttribute('aria-label') || el.getAttribute('alt'));
  return [document.title, document.body.innerText, ...hints].join('\\n');
}"""


def english_in(text: str) -> list[str]:
    """The English sentences in a page's text (allowed words taken out first)."""
    return [run for line in text.splitlines() for run in ENGLISH.findall(ALLOWED.sub(" ", line))]


def test_the_detector_finds_sentences_and_spares_codes_and_names() -> None:
    assert english_in("没有成功：This activity is full.") == ["This activity is full."]
    assert english_in("English | 大字 | 编号 HX1-F00004 | 二维码 QR | 下载 PDF | 2026-11-23 09:30") == []
    assert english_in("Service Bank 社区志愿服务银行") == []


def _visit(page, paths: list[str], world: dict, tag: str) -> list[str]:  # noqa: ANN001
    problems = []
    for raw in paths:
        path = raw.format(**world)
        page.goto(path)
        problems += [f"{tag} {path}: {run!r}" for run in english_in(page.evaluate(SHOWN))]
    return problems


def test_every_page_of_every_role_is_chinese(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = new_phone(browser, web_server["base"])
    # A missing record and a mistyped address are pages too.
    problems = _visit(page, [*PUBLIC, "/public/communities/999999", "/no-such-page"], web_server, "visitor")
    context.close()
    for tag, paths in (("volunteer", VOLUNTEER), ("leader", LEADER), ("organiser", ORGANISER), ("clerk", CLERK)):
        context, page = logged_in(browser, web_server, web_server[tag])
        problems += _visit(page, [*paths, "/manage/activities/999999", "/no-such-page"], web_server, tag)
        page.screenshot(path=shots / f"zh-{tag}-last.png", full_page=True)
        context.close()
    assert not problems, "English on zh-CN pages; add the Chinese to the .po:\n" + "\n".join(problems)


def _kiosk_code(world: dict, *, minutes_ago: int) -> str:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return issue_kiosk_token(secret_key=SECRET_KEY, rotation_seconds=30, activity_id=world["full_now_activity_id"],
                             purpose="check-in", now=now).token


def test_refusals_are_told_in_chinese(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = new_phone(browser, web_server["base"])
    page.goto("/login")
    page.fill("#login", web_server["volunteer"])
    page.fill("#password", "not-her-password-1")
    with page.expect_navigation():
        page.click("button[type=submit].big")
    text = page.evaluate(SHOWN)
    assert "密码不对" in text and not english_in(text), text
    page.screenshot(path=shots / "zh-refusal-wrong-password.png", full_page=True)
    context.close()

    context, page = logged_in(browser, web_server, web_server["volunteer"])
    page.goto(f"/c/{_kiosk_code(web_server, minutes_ago=60)}")
    if page.locator("form button.huge").count():
        page.click("form button.huge")
    page.wait_for_selector(".result", timeout=20_000)
    text = page.evaluate(SHOWN)
    assert "过期" in text and not english_in(text), text
    page.screenshot(path=shots / "zh-refusal-expired-code.png", full_page=True)

    page.goto(f"/c/{_kiosk_code(web_server, minutes_ago=0)}")
    page.click("form button.huge")
    # The button first asks for the phone's position (position.js), then the form is sent.
    page.wait_for_selector(".result", timeout=20_000)
    text = page.evaluate(SHOWN)
    assert "满" in text and not english_in(text), text
    page.screenshot(path=shots / "zh-refusal-activity-full.png", full_page=True)
    context.close()


def test_a_refusal_the_pages_had_no_words_for_is_chinese(browser, web_server, shots) -> None:  # noqa: ANN001
    """team_only was not among the pages' words: it showed "没有成功：This activity is for members of ..."."""
    context, page = logged_in(browser, web_server, web_server["volunteer"])
    page.goto("/activities")
    with page.expect_navigation():
        page.evaluate(POST, f"/activities/{web_server['team_only_activity_id']}/signup")
    text = page.evaluate(SHOWN)
    assert "队伍" in text and not english_in(text), text
    page.screenshot(path=shots / "zh-refusal-team-only.png", full_page=True)
    context.close()
