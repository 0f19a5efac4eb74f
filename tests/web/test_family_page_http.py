"""我的家庭成员 on the volunteer's page over HTTP: ask by number and phone digits (the same outcome whether they
matched or not, no name before confirmation), confirm, refusals in plain words, remove; every form needs the CSRF
token."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.family.models import FamilyLink
from tests.factories import make_org, make_person
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


async def test_ask_confirm_and_remove_a_family_link_on_my_page(app, client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    son = await make_person(session, Role.VOLUNTEER, community=org.community, name="张建国")
    mother = await make_person(session, Role.VOLUNTEER, community=org.other, name="李桂兰")
    await log_in(client, son)
    page = text_of((await client.get("/me")).text)
    assert "我的家庭成员" in page and "还没有关联的家庭成员" in page and son.volunteer.number in page

    wrong = await post(client, "/me/family", {"volunteer_number": mother.volunteer.number, "phone_last4": "0000",
                                              "relation": "父母"})
    asked = await post(client, "/me/family", {"volunteer_number": mother.volunteer.number,
                                              "phone_last4": mother.volunteer.phone[-4:], "relation": "父母"})
    assert location(wrong) == location(asked) == "/me?done=family_requested#family", "no hint which one matched"
    page = text_of((await client.get(location(asked))).text)
    assert "请求已发出" in page and "李桂兰" not in page and "还没有关联的家庭成员" in page

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as her_phone:
        await log_in(her_phone, mother)
        page = text_of((await her_phone.get("/me")).text)
        assert "有家人请您确认家庭关系" in page and "张建国 · 子女 等您确认" in page
        async with db.session_scope() as s:
            link_id = await s.scalar(select(FamilyLink.id))
        refused = await her_phone.post(f"/me/family/{link_id}/confirm", data={})
        assert refused.status_code == 403, "no CSRF token, no change"
        confirmed = await post(her_phone, f"/me/family/{link_id}/confirm")
        assert location(confirmed) == "/me?done=family_confirmed#family"
        assert "张建国 · 子女 已确认" in text_of((await her_phone.get("/me?done=family_confirmed")).text)

    assert "李桂兰 · 父母 已确认" in text_of((await client.get("/me")).text)
    again = await post(client, "/me/family", {"volunteer_number": mother.volunteer.number,
                                              "phone_last4": mother.volunteer.phone[-4:], "relation": "父母"})
    assert location(again) == "/me?done=family_requested#family"
    removed = await post(client, f"/me/family/{link_id}/revoke")
    assert location(removed) == "/me?done=family_revoked#family"
    page = text_of((await client.get("/me?done=family_revoked")).text)
    assert "已解除家庭关系" in page and "还没有关联的家庭成员" in page
    async with db.session_scope() as s:
        assert (await s.get(FamilyLink, link_id)).ended_by_user_id == son.user.id


async def test_the_family_section_speaks_english_too(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    await log_in(client, me)
    client.cookies.set("sb_lang", "en")
    page = text_of((await client.get("/me")).text)
    assert "My family members" in page and "Ask them to confirm" in page and "Spouse" in page


async def test_decline_a_request_and_an_unknown_answer(app, client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    son = await make_person(session, Role.VOLUNTEER, community=org.community)
    stranger = await make_person(session, Role.VOLUNTEER, community=org.community)
    await log_in(client, son)
    await post(client, "/me/family", {"volunteer_number": stranger.volunteer.number,
                                      "phone_last4": stranger.volunteer.phone[-4:], "relation": "父母"})
    async with db.session_scope() as s:
        link_id = await s.scalar(select(FamilyLink.id))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as their_phone:
        await log_in(their_phone, stranger)
        assert (await post(their_phone, f"/me/family/{link_id}/approve")).status_code == 404
        declined = await post(their_phone, f"/me/family/{link_id}/decline")
        assert location(declined) == "/me?done=family_declined#family"
    async with db.session_scope() as s:
        assert (await s.get(FamilyLink, link_id)).status == "declined"
