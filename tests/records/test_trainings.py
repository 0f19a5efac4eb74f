"""Training (培训情况): organisers record courses (通用/专业/岗前) for a volunteer of their community; the hours are
kept apart from service hours; bad input is refused with a code and nothing written; the page form refuses other
sites."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.ledger.models import Transaction
from servicebank.records.models import TrainingRecord
from tests.factories import make_person
from tests.web.pages import location, log_in, post, text_of

COURSE = {"category": "pre_service", "title": "助老服务岗前培训", "provider": "街道社工站",
          "trained_on": dt.date.today().isoformat(), "minutes": 90}


async def _count(db) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return await s.scalar(select(func.count(TrainingRecord.id))) or 0


async def test_training_hours_are_kept_apart_from_service(client, db, world, session) -> None:  # noqa: ANN001
    vid = world.volunteer.volunteer.id
    url = f"/api/volunteers/{vid}/trainings"
    for change in ({"category": "fun"}, {"title": " "}, {"minutes": 0}, {"minutes": 1441},
                   {"trained_on": (dt.date.today() + dt.timedelta(days=2)).isoformat()}):
        r = await client.post(url, json={**COURSE, **change}, headers=world.organiser.headers)
        assert r.status_code == 422 and r.json()["code"] == "invalid_training", (change, r.text)
    r = await client.post(url, json=COURSE, headers=world.volunteer.headers)
    assert r.status_code == 403
    elsewhere = await make_person(session, Role.ORGANISER, community=world.org.other)
    assert (await client.post(url, json=COURSE, headers=elsewhere.headers)).status_code == 404
    assert await _count(db) == 0
    r = await client.post(url, json=COURSE, headers=world.organiser.headers)
    assert r.status_code == 201 and r.json()["minutes"] == 90, r.text
    await client.post(url, json={**COURSE, "category": "general", "title": "志愿服务通识", "minutes": 60},
                      headers=world.organiser.headers)
    mine = (await client.get("/api/me/trainings", headers=world.volunteer.headers)).json()
    assert mine["minutes_by_category"] == {"general": 60, "professional": 0, "pre_service": 90}
    assert mine["total_minutes"] == 150 and [t["title"] for t in mine["trainings"]][0] == "志愿服务通识"
    # Not service: the account's service time and the ledger are untouched.
    account = (await client.get(f"/api/volunteers/{vid}/account", headers=world.volunteer.headers)).json()
    assert account["service_minutes"] == 0 and account["balance"] == 0
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(Transaction.id))) == 0
        assert "training.record" in set((await s.scalars(select(AuditEntry.action))).all())
    neighbour = await make_person(session, Role.VOLUNTEER, community=world.org.community)
    assert (await client.get(url, headers=neighbour.headers)).status_code == 403


async def test_the_training_form_on_the_volunteer_page(client, db, world) -> None:  # noqa: ANN001
    vid = world.volunteer.volunteer.id
    await log_in(client, world.organiser)
    page = text_of((await client.get(f"/manage/volunteers/{vid}", headers={"Accept-Language": "zh-CN"})).text)
    assert "培训情况" in page and "登记培训" in page
    form = {**COURSE, "minutes": "90"}
    forged = await post(client, f"/manage/volunteers/{vid}/trainings", form, headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403 and await _count(db) == 0
    bad = await post(client, f"/manage/volunteers/{vid}/trainings", {**form, "minutes": "九十"},
                     headers={"Accept-Language": "zh-CN"})
    assert bad.status_code == 422 and "请选择培训类别" in text_of(bad.text) and await _count(db) == 0
    done = await post(client, f"/manage/volunteers/{vid}/trainings", form)
    assert location(done) == f"/manage/volunteers/{vid}?done=training_recorded#trainings"
    await log_in(client, world.volunteer)
    me = text_of((await client.get("/me", headers={"Accept-Language": "zh-CN"})).text)
    assert "培训情况" in me and "助老服务岗前培训" in me and "岗前培训" in me and "登记培训" not in me
