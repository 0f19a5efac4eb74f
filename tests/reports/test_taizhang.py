"""台账 reports: figures against an independent computation, the .xlsx/.csv read back, scopes and permissions."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import openpyxl
import pytest
from sqlalchemy import update

from servicebank.accounts.models import Role
from servicebank.activities.models import Activity, ActivityKind
from servicebank.org.models import Community, Street
from tests.factories import make_person
from tests.honours.seeding import KINDS, Seeded, seed_october
from tests.spreadsheet_checks import PAYLOADS, assert_csv_neutral, assert_xlsx_neutral


def expected(seeded: Seeded, community_ids: set[int], year: int, month_from: int, month_to: int) -> dict:
    """The report's figures computed from the seeded records in plain Python."""
    approved = [a for a in seeded.attendances if a.status == "approved" and a.community_id in community_ids
                and a.service_date.year == year and month_from <= a.service_date.month <= month_to]
    activities = {a.activity_id for a in approved}
    by_id = {a.activity_id: a for a in seeded.activities}
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    kind_volunteers: dict[str, set[int]] = defaultdict(set)
    for a in approved:
        kind = by_id[a.activity_id].kind
        kinds[kind]["participations"] += 1
        kinds[kind]["minutes"] += a.credited_minutes
        kind_volunteers[kind].add(a.volunteer_id)
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for activity_id in activities:
        activity = by_id[activity_id]
        kinds[activity.kind]["activities"] += 1
        kinds[activity.kind]["beneficiaries"] += activity.beneficiaries
        for group in activity.groups or ["未注明"]:
            groups[group]["activities"] += 1
            groups[group]["beneficiaries"] += activity.beneficiaries
            groups[group]["participations"] += sum(1 for a in approved if a.activity_id == activity_id)
    return {
        "activities": len(activities), "participations": len(approved),
        "volunteers_served": len({a.volunteer_id for a in approved}),
        "service_minutes": sum(a.credited_minutes for a in approved),
        "beneficiaries": sum(by_id[i].beneficiaries for i in activities),
        "kinds": {k: dict(v) | {"volunteers": len(kind_volunteers[k])} for k, v in kinds.items()},
        "groups": {g: dict(v) for g, v in groups.items()},
    }


async def test_community_month_matches_the_records(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    response = await client.get("/api/reports/taizhang", params={"scope": f"community:{org.community.id}",
                                                                 "period": "2026-10"}, headers=organiser.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    want = expected(seeded, {org.community.id}, 2026, 10, 10)
    current = report["current"]
    for field in ("activities", "participations", "volunteers_served", "service_minutes", "beneficiaries"):
        assert current[field] == want[field], field
    assert want["participations"] > 0 and current["teams"] == 2
    # 16 home volunteers, one of them suspended (still registered), none pending or left.
    assert current["volunteers_registered"] == 16
    assert report["period_name"] == "2026年10月" and report["last_year_period"] == "2025-10"
    for row in report["by_kind"]:
        got = want["kinds"].get(row["key"], {})
        assert row["name"] == KINDS[row["key"]]
        assert (row["activities"], row["participations"], row["service_minutes"], row["beneficiaries"]) == (
            got.get("activities", 0), got.get("participations", 0), got.get("minutes", 0),
            got.get("beneficiaries", 0))
        if row["activities"]:
            assert row["volunteers"] == got["volunteers"]
    for row in report["by_group"]:
        got = want["groups"][row["key"]] if row["key"] in want["groups"] else {}
        assert (row["activities"], row["participations"], row["beneficiaries"]) == (
            got.get("activities", 0), got.get("participations", 0), got.get("beneficiaries", 0))
    before = expected(seeded, {org.community.id}, 2025, 10, 10)
    assert report["last_year"]["participations"] == before["participations"] == 6
    assert report["last_year"]["service_minutes"] == before["service_minutes"] == 720
    patrol = next(r for r in report["by_kind"] if r["key"] == "patrol")
    assert patrol["last_year_activities"] == 2 and patrol["last_year_participations"] == 6
    assert report["by_community"] == []


async def test_street_quarter_and_year_add_up(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    admin = await make_person(session, Role.STREET_ADMIN, street=org.street)
    both = {org.community.id, org.other.id}
    for period, months in (("2026-Q4", (10, 12)), ("2026", (1, 12))):
        response = await client.get("/api/reports/taizhang", params={"scope": f"street:{org.street.id}",
                                                                     "period": period}, headers=admin.headers)
        assert response.status_code == 200, response.text
        report = response.json()
        want = expected(seeded, both, 2026, *months)
        assert report["current"]["participations"] == want["participations"]
        assert report["current"]["service_minutes"] == want["service_minutes"]
        assert report["current"]["teams"] == 3
        by_community = {int(r["key"]): r for r in report["by_community"]}
        assert set(by_community) == both
        for cid in both:
            one = expected(seeded, {cid}, 2026, *months)
            assert by_community[cid]["participations"] == one["participations"]
            assert by_community[cid]["service_minutes"] == one["service_minutes"]


async def test_xlsx_and_csv_hold_the_same_figures(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    params = {"scope": f"community:{org.community.id}", "period": "2026-10"}
    report = (await client.get("/api/reports/taizhang", params=params, headers=organiser.headers)).json()
    response = await client.get("/api/reports/taizhang", params=params | {"format": "xlsx"},
                                headers=organiser.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["汇总", "按活动类型", "按服务对象", "居民需求"]
    summary = {row[0]: row for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert list(book["汇总"].iter_rows(min_row=2, max_row=2, values_only=True))[0] == (
        "指标", "本期", "去年同期", "同比增减", "同比增长率(%)")
    assert summary["参与服务(人次)"][1] == report["current"]["participations"]
    assert summary["参与服务(人次)"][2] == report["last_year"]["participations"]
    assert summary["服务时长(小时)"][1] == pytest.approx(report["current"]["service_minutes"] / 60, abs=0.01)
    assert summary["受益人次"][1] == report["current"]["beneficiaries"]
    kinds = {row[0]: row for row in book["按活动类型"].iter_rows(min_row=3, values_only=True)}
    for row in report["by_kind"]:
        assert kinds[row["name"]][1:3] == (row["activities"], row["participations"])
    response = await client.get("/api/reports/taizhang", params=params | {"format": "csv"},
                                headers=organiser.headers)
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    line = next(r for r in rows if r and r[0] == "开展活动(次)")
    assert int(line[1]) == report["current"]["activities"]


async def test_scope_and_period_are_checked(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    admin = await make_person(session, Role.STREET_ADMIN, street=org.street)

    async def get(person, scope: str, period: str = "2026-10", **extra: str):  # noqa: ANN001, ANN202
        return await client.get("/api/reports/taizhang", params={"scope": scope, "period": period, **extra},
                                headers=person.headers)

    cases = [
        (organiser, f"community:{org.other.id}", "2026-10", 404, "scope_not_found"),
        (organiser, f"street:{org.street.id}", "2026-10", 404, "scope_not_found"),
        (organiser, f"community:{org.community.id}", "2026-13", 422, "invalid_period"),
        (organiser, f"community:{org.community.id}", "2026-Q5", 422, "invalid_period"),
        (organiser, "district:1", "2026", 422, "invalid_scope"),
        (organiser, "community:abc", "2026", 422, "invalid_scope"),
        (organiser, "community:999999", "2026", 404, "scope_not_found"),
        (volunteer, f"community:{org.community.id}", "2026", 403, "organiser_required"),
        (admin, f"community:{seeded.far.id}", "2026", 404, "scope_not_found"),
    ]
    for person, scope, period, status, code in cases:
        response = await get(person, scope, period)
        assert (response.status_code, response.json()["code"]) == (status, code), (scope, period)
    response = await get(organiser, f"community:{org.community.id}", format="pdf")
    assert response.json()["code"] == "invalid_format"
    assert (await get(admin, f"community:{org.community.id}")).status_code == 200
    assert (await client.get("/api/reports/taizhang", params={"scope": "street:1", "period": "2026"})
            ).status_code == 401


async def test_names_typed_by_people_never_become_formulas(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    admin = await make_person(session, Role.STREET_ADMIN, street=org.street)
    # Every text the export shows that someone typed: street and community names, activity kinds, groups.
    await session.execute(update(Street).where(Street.id == org.street.id).values(name=PAYLOADS[0]))
    for community, payload in ((org.community, PAYLOADS[1]), (org.other, PAYLOADS[2])):
        await session.execute(update(Community).where(Community.id == community.id).values(name=payload))
    for code, payload in zip(KINDS, PAYLOADS[3:], strict=True):
        await session.execute(update(ActivityKind).where(ActivityKind.code == code).values(name=payload))
    await session.execute(update(Activity).values(beneficiary_groups=PAYLOADS))
    await session.commit()
    params = {"scope": f"street:{org.street.id}", "period": "2026-10"}
    xlsx = await client.get("/api/reports/taizhang", params=params | {"format": "xlsx"}, headers=admin.headers)
    assert xlsx.status_code == 200, xlsx.text
    assert_xlsx_neutral(xlsx.content, PAYLOADS)
    as_csv = await client.get("/api/reports/taizhang", params=params | {"format": "csv"}, headers=admin.headers)
    assert as_csv.status_code == 200, as_csv.text
    rows = assert_csv_neutral(as_csv.content.decode("utf-8"), PAYLOADS)
    by_group = {row[0]: row for row in rows if row and row[0].startswith("'")}
    assert int(by_group["'" + PAYLOADS[0]][1]) > 0  # the figures beside a neutralised name are still numbers
