"""The organiser's honour list page over HTTP: finished months only, sections each numbered from 1, publishing
stays on the page with the notice end date, every list's state, version, objections and allowed actions."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from servicebank.accounts.models import Role
from servicebank.honours.models import HonourList
from tests.factories import make_person
from tests.honours.seeding import seed_october
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


def _section(html: str, section: str) -> list[str]:
    found = re.search(rf'<ol class="honour-section" data-section="{section}">(.*?)</ol>', html, re.S)
    assert found, section
    return [text_of(item).strip() for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


async def test_generate_review_sections_publish_and_see_the_state(client, session, db) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    community = seeded.org.community
    organiser = await make_person(session, Role.ORGANISER, community=community)
    await log_in(client, organiser)
    page = f"/manage/honours?community={community.id}"

    # The current month is refused in words; the month picker offers the last finished month.
    this_month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    back = location(await post(client, "/manage/honours/generate", {"community_id": community.id,
                                                                     "month": this_month}))
    assert "本月尚未结束" in text_of((await client.get(back)).text)
    assert f'value="{this_month}"' not in (await client.get(page)).text

    location(await post(client, "/manage/honours/generate", {"community_id": community.id, "month": "2026-10"}))
    html = (await client.get(page)).text
    words = text_of(html)
    assert "草稿" in words and "并列同名次" in words
    # People and teams in their own sections, each numbered from 1 by its own ranking.
    people, teams = _section(html, "top_volunteers"), _section(html, "top_teams")
    assert people[0].startswith("第 1 名") and teams[0].startswith("第 1 名")
    assert "党员先锋队" in " ".join(teams) and "党员先锋队" not in " ".join(people)
    assert html.index("优秀志愿者") < html.index('data-section="top_volunteers"') < html.index("优秀服务队")

    list_id = int(re.search(r'action="/manage/honours/(\d+)/publish"', html).group(1))
    landed = location(await post(client, f"/manage/honours/{list_id}/publish"))
    assert landed.startswith("/manage/honours?") and "/public/" not in landed
    after = (await client.get(landed)).text
    ends = (dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=7)).strftime("%Y-%m-%d")
    words = text_of(after)
    assert f"已发布，公示期至 {ends}" in words
    assert f'href="/public/communities/{community.id}/honours?list_id={list_id}"' in after
    assert f"公示中，至 {ends}" in words and "第 1 版" in words and "异议（0 条待处理）" in words
    assert "更正并重新公示" in words

    # The public page: the same sections, the same numbers and the tie rule.
    public = text_of((await client.get(f"/public/communities/{community.id}/honours")).text)
    assert "第 1 名" in public and "优秀服务队" in public and "并列同名次" in public

    # A correction from the page: version 2, the notice starts again.
    done = location(await post(client, f"/manage/honours/{list_id}/correct", {"reason": "补录时长"}))
    assert f"已更正并重新公示（第 2 版），公示期至 {ends}" in text_of((await client.get(done)).text)

    # After the notice period: final, nothing left to do but read.
    async with db.session_scope() as s:
        await s.execute(update(HonourList).where(HonourList.id == list_id).values(
            notice_ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    final = text_of((await client.get(page)).text)
    assert "已定稿" in final and "第 2 版" in final and "更正并重新公示" not in final
    refused = location(await post(client, f"/manage/honours/{list_id}/correct"))
    assert "不能再更改" in text_of((await client.get(refused)).text)

    # A month nobody served in: no publish button, and publishing anyway is refused in words.
    location(await post(client, "/manage/honours/generate", {"community_id": community.id, "month": "2026-09"}))
    html = (await client.get(page)).text
    assert "本月无人上榜" in text_of(html)
    async with db.session_scope() as s:
        empty = await s.scalar(HonourList.__table__.select().with_only_columns(HonourList.id).where(
            HonourList.month == "2026-09", HonourList.scope_id == community.id))
    refused = location(await post(client, f"/manage/honours/{empty}/publish"))
    assert "榜单上没有任何人" in text_of((await client.get(refused)).text)
