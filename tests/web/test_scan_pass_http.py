"""The remembered scan (web/scan_pass.py) over HTTP: a pass of an earlier scan does not spoil a newer code."""

from __future__ import annotations

import datetime as dt

from servicebank.checkins import tokens
from servicebank.kernel.clock import utcnow
from tests.checkins.helpers import code, scene
from tests.conftest import TEST_SECRET
from tests.web.pages import log_in, post, text_of


async def _scanned_three_minutes_ago(client, session):  # noqa: ANN001, ANN202
    """A logged-in volunteer whose browser holds the pass of a scan three minutes ago (as /c/ would set it)."""
    s = await scene(session, starts_in=-dt.timedelta(minutes=20))
    await log_in(client, s.volunteer)
    earlier = (utcnow() - dt.timedelta(minutes=3)).replace(microsecond=0)
    client.cookies.set("sb_browser", "this-phone", path="/c/")
    client.cookies.set("sb_scan", tokens.issue_scan_pass(
        secret_key=TEST_SECRET, purpose=tokens.CHECK_IN, activity_id=s.activity.id, scanned_at=earlier,
        browser="this-phone"), path="/c/")
    return s, earlier


async def test_a_newer_code_scanned_after_an_older_pass_is_used_on_its_own(client, session, settings) -> None:
    s, earlier = await _scanned_three_minutes_ago(client, session)
    fresh = code(settings, s.activity.id)
    page = await client.get(f"/c/{fresh}")
    assert page.status_code == 200 and 'class="result bad"' not in page.text, text_of(page.text)
    done = await post(client, f"/c/{fresh}")
    assert done.status_code == 200 and 'class="result ok"' in done.text, text_of(done.text)


async def test_the_pass_of_the_scanned_code_gives_its_time(client, session, settings) -> None:
    s, earlier = await _scanned_three_minutes_ago(client, session)
    scanned = code(settings, s.activity.id, at=earlier)
    done = await post(client, f"/c/{scanned}")
    assert done.status_code == 200, text_of(done.text)
    shown = earlier.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M")
    assert shown in text_of(done.text)
    assert "sb_scan=" in done.headers.get("set-cookie", "")  # the pass is used up
