"""A community's public page answered from the one-second cache (web/public_pages.py): anonymous repeats share the
page but each gets its own CSRF token; the page is kept per language and text size; a second later a new
activity shows; a logged-in visitor always gets a fresh page with their name."""

from __future__ import annotations

import datetime as dt

from servicebank.accounts.models import Role
from servicebank.activities.models import Activity
from servicebank.kernel import kept as short_memories
from tests.factories import make_org, make_person
from tests.public_cache import Clock, settings  # noqa: F401 - the cache on in this module
from tests.web.pages import text_of


async def _activity(session, community, title: str) -> None:  # noqa: ANN001
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    session.add(Activity(community_id=community.id, kind="cleanup", title=title, status="published",
                         starts_at=starts, ends_at=starts + dt.timedelta(hours=2)))
    await session.commit()


def _anonymous(client, token: str, **cookies: str) -> None:  # noqa: ANN001
    client.cookies.clear()
    client.cookies.set("sb_csrf", token)
    for name, value in cookies.items():
        client.cookies.set(name, value)


async def test_anonymous_visits_share_the_page_with_their_own_token(session, client, monkeypatch) -> None:  # noqa: ANN001
    clock = Clock()
    monkeypatch.setattr(short_memories, "monotonic", clock)
    org = await make_org(session)
    await _activity(session, org.community, "楼道清扫")
    page = f"/public/communities/{org.community.id}"

    _anonymous(client, "a" * 32)
    first = await client.get(page)
    assert first.status_code == 200 and "楼道清扫" in text_of(first.text) and 'value="' + "a" * 32 + '"' in first.text

    await _activity(session, org.community, "义诊")
    clock.now += 0.9
    _anonymous(client, "b" * 32)
    kept = await client.get(page)
    assert "义诊" not in text_of(kept.text), "served from memory within the second"
    assert 'value="' + "b" * 32 + '"' in kept.text and "a" * 32 not in kept.text, "the visitor's own token"
    assert kept.headers["content-type"].startswith("text/html") and kept.headers["cache-control"] == "no-store"
    assert "Content-Security-Policy" in kept.headers

    _anonymous(client, "c" * 32, sb_lang="en")
    english = await client.get(page)
    assert "How to join" in text_of(english.text) and "如何加入" not in text_of(english.text)

    clock.now += 0.2
    _anonymous(client, "d" * 32)
    fresh = await client.get(page)
    assert "义诊" in text_of(fresh.text) and "楼道清扫" in text_of(fresh.text), "a second later: the new activity"


async def test_a_new_visitor_gets_a_token_cookie_and_a_logged_in_one_a_fresh_page(session, client,
                                                                                  monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(short_memories, "monotonic", Clock())
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community, name="林阿婆")
    page = f"/public/communities/{org.community.id}"
    client.cookies.clear()
    await client.get(page)
    client.cookies.clear()
    second = await client.get(page)
    token = second.cookies.get("sb_csrf")
    assert token and f'value="{token}"' in second.text, "a kept page still hands out a token and its cookie"

    await _activity(session, org.community, "读报会")
    client.cookies.clear()
    client.cookies.set("sb_session", me.token)
    mine = text_of((await client.get(page)).text)
    assert "林阿婆" in mine and "读报会" in mine
