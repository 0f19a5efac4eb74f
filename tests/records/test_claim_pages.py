"""补录 and correction forms over HTTP: each refuses a post from another site (nothing written), a bad photo or a
missing reason is refused on the page in Chinese with nothing written, and the organiser's forms decide with the CSRF
token; a correction shows under the record it is about."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from servicebank.kernel import events
from servicebank.records.models import ServiceClaim, ServiceCorrection
from tests.records.claim_helpers import PNG, iso, past_activity
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]
ELSEWHERE = {"Origin": "http://evil.example"}


def _fields(activity: dict) -> dict[str, str]:
    return {"activity_id": str(activity["id"]), "started_at": iso(activity["starts_at"]),
            "ended_at": iso(activity["ends_at"]), "content": "帮忙搬桌椅"}


async def _claims(db) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return await s.scalar(select(func.count(ServiceClaim.id))) or 0


async def _corrections(db) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return await s.scalar(select(func.count(ServiceCorrection.id))) or 0


async def test_claim_forms_refuse_other_sites_and_bad_photos(client, db, world) -> None:  # noqa: ANN001
    activity = await past_activity(client, db, world, hours_ago=3)
    await log_in(client, world.volunteer)
    page = await client.get("/me/claims", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "补录服务" in text_of(page.text) and activity["title"] in page.text
    photo = [("photos", ("a.png", PNG, "image/png"))]
    forged = await post(client, "/me/claims", _fields(activity), files=photo, headers=ELSEWHERE)
    assert forged.status_code == 403 and await _claims(db) == 0
    wrong = await post(client, "/me/claims", _fields(activity), files=[("photos", ("a.png", b"%PDF-1.7", "image/png"))],
                       headers={"Accept-Language": "zh-CN"})
    assert wrong.status_code == 422 and "照片只能是 JPEG、PNG 或 WebP 格式的图片" in text_of(wrong.text)
    assert "帮忙搬桌椅" in wrong.text and await _claims(db) == 0
    sent = await post(client, "/me/claims", _fields(activity), files=photo)
    assert location(sent) == "/me/claims?done=claim_sent" and await _claims(db) == 1


async def test_the_organiser_decides_on_the_page_and_other_sites_cannot(client, db, world) -> None:  # noqa: ANN001
    first = await past_activity(client, db, world, hours_ago=3)
    second = await past_activity(client, db, world, hours_ago=6)
    await log_in(client, world.volunteer)
    for activity in (first, second):
        assert (await post(client, "/me/claims", _fields(activity))).status_code == 303
    async with db.session_scope() as s:
        approve_id, decline_id = sorted((await s.scalars(select(ServiceClaim.id))).all())
    await log_in(client, world.organiser)
    page = text_of((await client.get(f"/manage/claims?community={world.org.community.id}",
                                     headers={"Accept-Language": "zh-CN"})).text)
    assert "等待您审核" in page and first["title"] in page
    for url in (f"/manage/claims/{approve_id}/approve", f"/manage/claims/{decline_id}/decline"):
        forged = await post(client, url, {"reason": "x"}, headers=ELSEWHERE)
        assert forged.status_code == 403
    async with db.session_scope() as s:
        assert set((await s.scalars(select(ServiceClaim.status))).all()) == {"pending"}
    approved = await post(client, f"/manage/claims/{approve_id}/approve")
    assert location(approved).endswith("done=claim_approved")
    refused = await post(client, f"/manage/claims/{decline_id}/decline", {"reason": ""},
                         headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 422 and "请填写理由" in text_of(refused.text)
    declined = await post(client, f"/manage/claims/{decline_id}/decline", {"reason": "当天没有签到表"})
    assert location(declined).endswith("done=claim_declined")
    again = await post(client, f"/manage/claims/{approve_id}/approve", headers={"Accept-Language": "zh-CN"})
    assert again.status_code == 409 and "已经处理过了" in text_of(again.text)
    async with db.session_scope() as s:
        statuses = dict((await s.execute(select(ServiceClaim.id, ServiceClaim.status))).all())
    assert statuses == {approve_id: "approved", decline_id: "declined"}
    audit = text_of((await client.get(f"/manage/audit?community={world.org.community.id}",
                                      headers={"Accept-Language": "zh-CN"})).text)
    assert "提交补录" in audit and "补录已通过" in audit and "补录未通过" in audit and "service_claim" not in audit


async def test_corrections_on_the_pages_refuse_other_sites_and_correct_the_record(client, db, world) -> None:  # noqa: ANN001
    activity = await past_activity(client, db, world, hours_ago=3)
    r = await client.post(f"/api/activities/{activity['id']}/attendance/manual", json={
        "volunteer_id": world.volunteer.volunteer.id, "checked_in_at": iso(activity["starts_at"]),
        "checked_out_at": iso(activity["ends_at"]), "reason": "签到表"}, headers=world.organiser.headers)
    attendance_id = r.json()["id"]
    await log_in(client, world.volunteer)
    me = await client.get("/me", headers={"Accept-Language": "zh-CN"})
    assert "申请更正" in text_of(me.text) and f'name="attendance_id" value="{attendance_id}"' in me.text
    local = activity["starts_at"].astimezone(ZoneInfo("Asia/Shanghai"))
    ask = {"attendance_id": str(attendance_id), "started_at": local.strftime("%Y-%m-%dT%H:%M"),
           "ended_at": (local + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "reason": "提前走了",
           "back": "/me#my-attendance"}
    forged = await post(client, "/me/corrections", ask, headers=ELSEWHERE)
    assert forged.status_code == 403 and await _corrections(db) == 0
    refused = await post(client, "/me/corrections", {**ask, "reason": ""}, headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 422 and "请说明哪里有误" in text_of(refused.text) and await _corrections(db) == 0
    sent = await post(client, "/me/corrections", ask)
    assert location(sent) == "/me?done=correction_sent#my-attendance" and await _corrections(db) == 1
    page = text_of((await client.get("/me", headers={"Accept-Language": "zh-CN"})).text)
    assert "更正：待审核" in page and "提前走了" in page
    async with db.session_scope() as s:
        correction_id = await s.scalar(select(ServiceCorrection.id))
    await log_in(client, world.organiser)
    review = text_of((await client.get(f"/manage/claims?community={world.org.community.id}",
                                       headers={"Accept-Language": "zh-CN"})).text)
    assert "更正申请" in review and "提前走了" in review
    for action in ("accept", "decline"):
        forged = await post(client, f"/manage/corrections/{correction_id}/{action}", {"reason": "x"},
                            headers=ELSEWHERE)
        assert forged.status_code == 403
    accepted = await post(client, f"/manage/corrections/{correction_id}/accept")
    assert location(accepted).endswith("done=correction_accepted#corrections")
    again = await post(client, f"/manage/corrections/{correction_id}/decline", {"reason": "x"},
                       headers={"Accept-Language": "zh-CN"})
    assert again.status_code == 409 and "已经处理过了" in text_of(again.text)
    await events.drain(db)
    await log_in(client, world.volunteer)
    page = text_of((await client.get("/me", headers={"Accept-Language": "zh-CN"})).text)
    assert "更正：已同意" in page and "原记录已冲销" in page and "计入 1 小时" in page, page
