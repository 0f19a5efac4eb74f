"""The 志愿服务记录表 (PDF): the regulation's fields for one volunteer, corrections as reversal plus new posting;
the volunteer and the organisers of their community may download it, nobody else."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.checkins.models import Attendance
from servicebank.kernel import events
from tests.factories import make_person
from tests.records import export_scenario
from tests.records.claim_helpers import iso


def _text(body: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return text.replace(" ", "").replace("\n", "").replace("\x00", "")


async def test_the_record_lists_every_field_and_shows_corrections_as_reversal_and_new_posting(
        client, db, session) -> None:  # noqa: ANN001
    scenario = await export_scenario.build(client, db, session)
    street = scenario.street
    helper = street.helper
    # The attendance is corrected too: it was 2 hours, the volunteer left after 1.5.
    async with db.session_scope() as s:
        attendance = await s.scalar(select(Attendance).where(Attendance.volunteer_id == helper.volunteer.id))
        assert attendance is not None
        attendance_id, started = attendance.id, attendance.checked_in_at
    r = await client.post("/api/me/corrections", json={
        "attendance_id": attendance_id, "started_at": iso(started),
        "ended_at": iso(started + dt.timedelta(minutes=90)), "reason": "提前走了"}, headers=helper.headers)
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/corrections/{r.json()['id']}/accept", json={"reason": "已核对签到表"},
                          headers=street.organiser.headers)
    assert r.status_code == 200, r.text
    await events.drain(db)

    r = await client.get("/api/me/service-record.pdf", headers=helper.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and "no-store" in r.headers["cache-control"]
    text = _text(r.content)
    for expected in ("志愿服务记录表", "李志愿", helper.volunteer.number, street.org.community.name,
                     "一、志愿者基本信息", "证件类型", "志愿者编号",
                     # attendance 90 (corrected) + claim 120 + corrected claim 60 + request 45
                     "二、服务记录（共4条，累计服务时长5小时15分钟）", "活动签到", "补录", "居民需求", "社工小张", "经更正",
                     "三、评价情况", "平均5.0星（共1次评价）", "耐心1次",
                     "四、培训情况（累计1小时30分钟，不计入服务时长）", "岗前培训", "助老服务岗前培训",
                     "五、更正情况", "−2小时+1小时", "−2小时+1小时30分钟", "已核对签到表"):
        assert expected in text, expected
    # The neighbouring volunteer's service here is theirs, not the helper's.
    assert "协助义诊排队" not in text

    r = await client.get(f"/api/volunteers/{helper.volunteer.id}/service-record.pdf", headers=street.organiser.headers)
    assert r.status_code == 200 and "李志愿" in _text(r.content)
    r = await client.get(f"/api/volunteers/{helper.volunteer.id}/service-record.pdf", headers=street.second.headers)
    assert r.status_code == 403 and r.json()["code"] == "organiser_required"
    elsewhere = await make_person(session, Role.ORGANISER, community=street.org.other)
    for outsider in (elsewhere, street.outsider):
        r = await client.get(f"/api/volunteers/{helper.volunteer.id}/service-record.pdf", headers=outsider.headers)
        assert r.status_code == 404 and r.json()["code"] == "volunteer_not_found"
    assert (await client.get(f"/api/volunteers/{helper.volunteer.id}/service-record.pdf")).status_code == 401
    r = await client.get("/api/me/service-record.pdf", headers=street.organiser.headers)
    assert r.status_code == 403 and r.json()["code"] == "volunteer_required"
