"""Roster import from generated .xlsx/.csv files: dry run, atomic real run, broken files."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.volunteers.models import TeamMember, Volunteer
from tests.factories import make_org, make_person, make_team, make_volunteer
from tests.volunteers.roster_files import csv_bytes, xlsx
from tests.volunteers.test_identity import VALID, resident_id

ID_A = resident_id("32010219800101001")
ID_B = resident_id("32010219750505002")


async def _setup(session):  # noqa: ANN001, ANN202
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    team = await make_team(session, org.community, name="党员先锋队", kind="党员")
    await make_volunteer(session, org.community, phone="13900009999")
    return org, organiser, team


def _rows(grid: str) -> list[list[object]]:
    return [
        [1, "王秀英", "女", 13900000001, VALID, grid, "党员先锋队", "理发、医疗", "党员", "否"],  # row 3: ok
        [2, "李桂兰", "女", None, ID_A, "", "", "", "群众", ""],  # row 4: missing phone
        [3, "张建国", "男", 13900000003, VALID, "", "", "", "", ""],  # row 5: duplicate ID (row 3)
        [4, "刘淑芬", "女", 13900000004, "", "", "舞蹈队", "", "", ""],  # row 6: unknown team
        [5, "陈志强", "男", 13900009999, "", "", "", "", "", ""],  # row 7: phone already registered
        [6, "杨玉兰", "女", "139-0000-0006", "110105194912310021", "", "", "", "", ""],  # row 8: bad checksum
        [7, "赵德明", "男", 13900000007, ID_B, "", "党员先锋队", "", "", "是"],  # row 9: ok, paid service
        [None, None, None, None, None, None, None, None, None, None],  # blank: ignored
    ]


def _codes(report: dict) -> dict[int, list[str]]:
    return {r["row"]: [e["code"] for e in r["errors"]] for r in report["skipped_rows"]}


async def _import(client, org, organiser, content: bytes, name: str, dry_run: bool):  # noqa: ANN001, ANN202
    return await client.post(f"/api/volunteers/import?community_id={org.community.id}&dry_run={str(dry_run).lower()}",
                             headers=organiser.headers, files={"file": (name, content)})


async def test_dry_run_lists_row_errors_and_changes_nothing(client, session) -> None:  # noqa: ANN001
    org, organiser, _ = await _setup(session)
    response = await _import(client, org, organiser, xlsx(_rows(org.grid.name)), "花名册.xlsx", dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["dry_run"] is True and report["total_rows"] == 7 and report["valid_rows"] == 2
    assert _codes(report) == {4: ["missing_phone"], 5: ["duplicate_id_number"], 6: ["unknown_team"],
                              7: ["duplicate_phone"], 8: ["invalid_id_number"]}
    assert report["columns"]["phone"] == "手机号码"
    assert await session.scalar(select(func.count(Volunteer.id))) == 1


async def test_real_run_imports_valid_rows_with_teams_and_protected_ids(client, session) -> None:  # noqa: ANN001
    org, organiser, team = await _setup(session)
    response = await _import(client, org, organiser, xlsx(_rows(org.grid.name)), "花名册.xlsx", dry_run=False)
    report = response.json()
    assert (report["created"], report["skipped"]) == (2, 5)
    rows = (await session.scalars(select(Volunteer).where(Volunteer.phone.in_(["13900000001", "13900000007"]))
                                  .order_by(Volunteer.phone))).all()
    first, second = rows
    assert first.real_name == "王秀英" and first.grid_id == org.grid.id and first.skill_tags == ["理发", "医疗"]
    assert first.id_number_masked == "110***********002X" and VALID not in first.id_number_encrypted
    assert first.birth_year == 1949 and first.number.startswith(org.community.code + "-")
    assert second.paid_service is True and second.gender == "男"
    members = (await session.scalars(select(TeamMember.volunteer_id).where(TeamMember.team_id == team.id))).all()
    assert set(members) == {first.id, second.id}
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "volunteer.import"))).one()
    assert entry.after["created"] == 2 and entry.actor_user_id == organiser.user.id
    await session.commit()  # hand the (single SQLite) connection back before the next request
    again = (await _import(client, org, organiser, xlsx(_rows(org.grid.name)), "花名册.xlsx", dry_run=False)).json()
    assert again["created"] == 0 and {3, 9} <= set(_codes(again))


async def test_csv_in_gbk_as_excel_saves_it(client, session) -> None:  # noqa: ANN001
    org, organiser, _ = await _setup(session)
    content = csv_bytes([[1, "王秀英", "女", "13900000001", "", "", "党员先锋队", "文艺", "", ""]], encoding="gb18030")
    report = (await _import(client, org, organiser, content, "roster.csv", dry_run=False)).json()
    assert report["created"] == 1
    assert await session.scalar(select(Volunteer.real_name).where(Volunteer.phone == "13900000001")) == "王秀英"


async def test_volunteer_numbers_in_the_file_are_kept_and_checked(client, session) -> None:  # noqa: ANN001
    org, organiser, _ = await _setup(session)
    header = ["姓名", "手机号", "志愿者编号"]
    content = xlsx([["甲", 13900000011, "BJ-0001"], ["乙", 13900000012, "BJ-0001"], ["丙", 13900000013, ""]],
                   header=header, title=None)
    report = (await _import(client, org, organiser, content, "r.xlsx", dry_run=False)).json()
    assert _codes(report) == {3: ["duplicate_volunteer_number"]}
    numbers = (await session.scalars(select(Volunteer.number).where(Volunteer.phone.in_(
        ["13900000011", "13900000013"])).order_by(Volunteer.phone))).all()
    assert numbers[0] == "BJ-0001" and numbers[1].startswith(org.community.code + "-")


async def test_broken_and_foreign_files_are_refused_with_stable_codes(client, session) -> None:  # noqa: ANN001
    org, organiser, _ = await _setup(session)
    good = xlsx(_rows(org.grid.name))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    cases = [
        (good[: len(good) // 2], "truncated.xlsx", 422, "unreadable_spreadsheet"),
        (zipped.getvalue(), "fake.xlsx", 422, "unreadable_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", 415, "unsupported_file"),
        (b"%PDF-1.4 binary\x00\x01", "roster.pdf", 415, "unsupported_file"),
        (good, "roster.docx", 415, "unsupported_file"),
        (xlsx([["x", "y"]], header=["名字", "电话号"]), "r.xlsx", 422, "missing_columns"),
        (b"", "empty.csv", 422, "empty_file"),
    ]
    for content, name, status, code in cases:
        response = await _import(client, org, organiser, content, name, dry_run=False)
        assert (response.status_code, response.json().get("code")) == (status, code), name
    assert await session.scalar(select(func.count(Volunteer.id))) == 1


async def test_oversized_upload_is_refused(client, session, app) -> None:  # noqa: ANN001
    org, organiser, _ = await _setup(session)
    limit = app.state.settings.max_upload_bytes
    response = await _import(client, org, organiser, b"a" * (limit + 1024), "big.csv", dry_run=True)
    assert response.status_code == 413


async def test_only_the_communitys_organisers_may_import(client, session) -> None:  # noqa: ANN001
    org, _, _ = await _setup(session)
    neighbour = await make_person(session, Role.ORGANISER, community=org.other)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    content = xlsx(_rows(org.grid.name))
    assert (await _import(client, org, neighbour, content, "r.xlsx", dry_run=True)).status_code == 404
    assert (await _import(client, org, volunteer, content, "r.xlsx", dry_run=True)).status_code == 403
