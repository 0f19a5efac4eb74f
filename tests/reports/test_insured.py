"""The 台账's insured participations (参保服务人次): against a count in plain Python, the same figure in the API, the
page, the .xlsx and the .csv."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl

from servicebank.accounts.models import Role
from servicebank.records.models import InsuranceCover
from tests.factories import make_person
from tests.honours.seeding import seed_october
from tests.web.pages import log_in, text_of


async def test_insured_participations_are_the_same_everywhere(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    october = [a for a in seeded.attendances if a.status == "approved" and a.community_id == org.community.id
               and (a.service_date.year, a.service_date.month) == (2026, 10)]
    # One volunteer insured for the first half of October; one activity with a group policy for its day.
    insured_volunteer = october[0].volunteer_id
    group_activity = next(a.activity_id for a in october if a.volunteer_id != insured_volunteer)
    group_day = next(a.service_date for a in october if a.activity_id == group_activity)
    session.add_all([
        InsuranceCover(community_id=org.community.id, volunteer_id=insured_volunteer, insurer="中国人寿",
                       policy_number_masked="PI****1234", valid_from=dt.date(2026, 10, 1),
                       valid_until=dt.date(2026, 10, 15), recorded_by_user_id=organiser.user.id),
        InsuranceCover(community_id=org.community.id, activity_id=group_activity, insurer="团体意外险",
                       policy_number_masked="GR****0001", valid_from=group_day, valid_until=group_day,
                       recorded_by_user_id=organiser.user.id)])
    await session.commit()
    want = sum(1 for a in october if (a.volunteer_id == insured_volunteer and a.service_date.day <= 15)
               or a.activity_id == group_activity)
    assert 0 < want < len(october)
    params = {"scope": f"community:{org.community.id}", "period": "2026-10"}
    report = (await client.get("/api/reports/taizhang", params=params, headers=organiser.headers)).json()
    assert report["current"]["insured_participations"] == want
    assert report["last_year"]["insured_participations"] == 0
    xlsx = await client.get("/api/reports/taizhang", params=params | {"format": "xlsx"}, headers=organiser.headers)
    summary = {row[0]: row for row in openpyxl.load_workbook(io.BytesIO(xlsx.content))["汇总"].iter_rows(
        min_row=3, values_only=True)}
    assert summary["参保服务(人次)"][1:3] == (want, 0)
    as_csv = await client.get("/api/reports/taizhang", params=params | {"format": "csv"}, headers=organiser.headers)
    line = next(r for r in csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))) if r and r[0] == "参保服务(人次)")
    assert int(line[1]) == want
    await log_in(client, organiser)
    page = await client.get(f"/manage/reports?scope=community:{org.community.id}&kind=month&month=2026-10")
    words = text_of(page.text)
    assert page.status_code == 200 and f"参保服务(人次) {want} 0" in words, words[:2000]
