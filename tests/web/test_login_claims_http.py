"""账号认领 on the organiser's volunteer list over HTTP: a sign-up with a known phone waits there, the organiser
approves it (CSRF token needed) and the person logs in; nobody else sees it."""

from __future__ import annotations

import pytest

from servicebank.accounts.models import Role
from tests.factories import make_org, make_person, make_volunteer
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


async def test_organiser_approves_a_login_claim_on_the_volunteer_list(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    grandma = await make_volunteer(session, org.community, name="王秀英", phone="13700002222")
    signed = await client.post("/api/volunteers/register", json={
        "community_id": org.community.id, "real_name": "王秀英", "phone": grandma.phone, "password": "grandma-pass-1"})
    assert signed.status_code == 202
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await log_in(client, organiser)
    page = (await client.get(f"/manage/volunteers?community={org.community.id}")).text
    assert "待核实的账号认领申请" in text_of(page) and grandma.number in page
    claim_id = page.split("/manage/login-claims/")[1].split("/")[0]
    refused = await client.post(f"/manage/login-claims/{claim_id}/approve", data={})
    assert refused.status_code == 403, "no CSRF token, no change"
    approved = await post(client, f"/manage/login-claims/{claim_id}/approve")
    assert location(approved) == f"/manage/volunteers?community={org.community.id}&done=claim_approve"
    page = text_of((await client.get(location(approved))).text)
    assert "已批准" in page and "待核实的账号认领申请" not in page
    again = await post(client, f"/manage/login-claims/{claim_id}/approve")
    assert again.status_code == 409 and "已经处理过了" in text_of(again.text)
    login = await client.post("/api/auth/login", json={"login": grandma.phone, "password": "grandma-pass-1"})
    assert login.status_code == 200


async def test_other_communities_do_not_see_the_claim(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    record = await make_volunteer(session, org.community)
    await client.post("/api/volunteers/register", json={
        "community_id": org.community.id, "real_name": "某人", "phone": record.phone, "password": "some-pass-12"})
    outsider = await make_person(session, Role.ORGANISER, community=org.other)
    await log_in(client, outsider)
    page = (await client.get(f"/manage/volunteers?community={org.other.id}")).text
    assert "/manage/login-claims/" not in page
    assert (await post(client, "/manage/login-claims/1/approve")).status_code == 404
