"""The page environments (web/render.py): templates looked up once and kept, times shown in the platform's zone
through the `when` filter, and no template left calling the old `when(...)` function of the page."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from jinja2 import DictLoader, StrictUndefined

from servicebank.web import render
from servicebank.web.render import ENVIRONMENTS, TEMPLATES_DIR


def test_a_template_and_the_layout_it_extends_are_loaded_once_and_kept() -> None:
    env = ENVIRONMENTS["zh"]
    first = env.get_template("checkins/scan.html")
    assert env.get_template("checkins/scan.html") is first
    first.render({**_page(), "token": "i.x", "purpose": "check-in", "activity": None, "meta": None, "details": [],
                  "result": None, "error": "无效", "title": "签到"})
    assert env.get_template("base.html") is env.get_template("base.html")


def _page() -> dict:
    return {"zone": ZoneInfo("Asia/Shanghai"), "me": None, "lang": "zh", "_": lambda m, **v: m, "big_text": False,
            "csrf_token": "t", "path": "/", "here": "/", "roles": frozenset(), "request": None}


def test_when_shows_a_utc_time_in_the_zone_and_a_naive_one_as_utc() -> None:
    env = render._PageEnvironment(loader=DictLoader({"t.html": '{{ at | when }}|{{ at | when("%H:%M") }}|'
                                                                 '{{ naive | when("%m-%d %H:%M") }}|{{ none | when }}'}),
                                  undefined=StrictUndefined)
    env.filters["when"] = render._when
    at = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
    html = env.get_template("t.html").render(zone=ZoneInfo("Asia/Shanghai"), at=at, naive=at.replace(tzinfo=None),
                                             none=None)
    assert html == "2027-01-01 00:30|00:30|01-01 00:30|"
    # The same time in another zone is another text: the kept formats are per zone.
    other = env.get_template("t.html").render(zone=ZoneInfo("Europe/London"), at=at, naive=at, none=None)
    assert other.startswith("2026-12-31 16:30|16:30|")
    with pytest.raises(KeyError):  # a page without its zone fails loudly, never in the server's zone
        env.from_string("{{ at | when }}").render(at=at)


def test_no_template_calls_when_as_a_function() -> None:
    """`when` is a filter now; a page still calling `when(x)` would fail only when it shows a time."""
    called = [f"{path.relative_to(TEMPLATES_DIR)}" for path in TEMPLATES_DIR.rglob("*.html")
              for pipe in re.findall(r"(\|\s*)?\bwhen\(", path.read_text(encoding="utf-8")) if not pipe]
    assert called == []
