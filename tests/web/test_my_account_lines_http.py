"""A volunteer's page explains every line of their account: the activity and the hours behind service points,
how many hours a record counts for when the daily cap cut it, never the ledger's internal memo."""

from __future__ import annotations

import pytest

from servicebank.accounts.models import Role
from servicebank.ledger.models import HoursRule
from tests.factories import make_org, make_person
from tests.ledger.helpers import attend, make_activity, settle
from tests.web.pages import log_in, text_of

pytestmark = [pytest.mark.sqlite_only]


async def test_account_lines_name_the_activity_and_explain_the_cap(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    person = await make_person(session, Role.VOLUNTEER, community=org.community)
    session.add(HoursRule(kind="*", community_id=org.community.id, daily_cap_minutes=300, rounding_minutes=1))
    await session.commit()
    morning = await make_activity(session, org.community)
    afternoon = await make_activity(session, org.community)
    await attend(session, morning, person.volunteer, minutes=200)
    await attend(session, afternoon, person.volunteer, minutes=200)
    await settle(db)

    await log_in(client, person)
    html = (await client.get("/me")).text
    words = text_of(html)
    assert "attendance #" not in words and "builtin" not in words and "pts" not in words
    # Each service line names its activity and the hours it credited; together they make the total.
    assert f"{morning.title} · 3.3 小时" in words and f"{afternoon.title} · 1.7 小时" in words, words
    assert '<span class="num" id="my-hours">5</span>' in html
    # The record the cap cut says so, in words.
    assert "记录 3.3 小时 · 计入 1.7 小时、100 积分" in words, words
    assert "每天最多计到当日上限" in words
