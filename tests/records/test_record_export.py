"""The organisation-wide export of service records (JSON Lines, .xlsx) and the 台账: the same records, the same
counts; approved late claims count in the 台账 (page, API, downloads); bad input gets a stable code."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from servicebank.accounts.models import Role
from servicebank.records.record_export_fields import FIELDS, SCHEMA_VERSION
from tests.factories import make_person
from tests.records import export_scenario
from tests.web.pages import log_in, text_of

DOCS = Path(__file__).resolve().parents[2] / "docs" / "records.md"
TAIZHANG_TYPES = ("activity", "late_claim")


async def _export(client, headers, scope: str, first: str, last: str, kind: str = "jsonl"):  # noqa: ANN001, ANN202
    return await client.get("/api/records/export", params={"scope": scope, "from": first, "to": last,
                                                           "format": kind}, headers=headers)


def _lines(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode("utf-8").splitlines() if line]


def _figures(records: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(participations, credited minutes, distinct volunteers) of the export's activity and late-claim records."""
    counted = [r for r in records if r["record_type"] in TAIZHANG_TYPES]
    return len(counted), sum(r["service_minutes"] for r in counted), len({r["volunteer_number"] for r in counted})


async def test_the_export_counts_what_the_taizhang_counts(client, db, session) -> None:  # noqa: ANN001
    scenario = await export_scenario.build(client, db, session)
    street, organiser = scenario.street, scenario.street.organiser
    community = f"community:{street.org.community.id}"
    # Every record lies within the last day; near midnight on the 1st that may be two months: compare each.
    everything = _lines((await _export(client, organiser.headers, community, "2000-01", "2000-01")).content)
    assert everything == []
    months: set[str] = set()
    all_records: list[dict[str, Any]] = []
    for scope, who in ((community, organiser),):
        for month in sorted(_months_of_recent_days()):
            r = await _export(client, who.headers, scope, month, month)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("application/x-ndjson")
            records = _lines(r.content)
            all_records += records
            if records:
                months.add(month)
            report = (await client.get("/api/reports/taizhang", params={"scope": scope, "period": month},
                                       headers=who.headers)).json()
            assert _figures(records) == (report["current"]["participations"], report["current"]["service_minutes"],
                                         report["current"]["volunteers_served"])
    # What the scenario made, counted by hand: attendance 120 + claim 120 + corrected claim 60 + elsewhere 90.
    assert _figures(all_records) == (4, 390, 2)
    types = sorted(r["record_type"] for r in all_records)
    assert types == ["activity", "late_claim", "late_claim", "late_claim", "request", "training"]
    assert all(r["schema_version"] == SCHEMA_VERSION and list(r) == [f.key for f in FIELDS] for r in all_records)
    corrected = next(r for r in all_records if r["record_key"] == f"late_claim:{scenario.corrected_claim_id}")
    assert corrected["corrected"] is True and corrected["service_minutes"] == 60
    assert corrected["confirmed_by"] == "社工小张"
    request = next(r for r in all_records if r["record_type"] == "request")
    assert request["rating_stars"] == 5 and request["service_minutes"] == 45
    elsewhere = next(r for r in all_records if r["record_type"] == "late_claim" and r["place"] == "社区广场")
    assert elsewhere["volunteer_number"] == street.outsider.volunteer.number
    assert elsewhere["recording_organisation"] == street.org.community.name
    assert elsewhere["kind"] == "补录（组织外服务）" and elsewhere["project"] == "补录：组织外服务"
    training = next(r for r in all_records if r["record_type"] == "training")
    assert training["training_minutes"] == 90 and training["service_minutes"] == 0
    helper = next(r for r in all_records if r["record_type"] == "activity")
    assert helper["volunteer_name"] == "李志愿" and helper["confirmed_by"] == "社工小张"

    # The street: both communities; the xlsx's 汇总 says the same as the 台账, and so do the 台账's page and download.
    month = sorted(months)[-1]
    street_scope = f"street:{street.org.street.id}"
    admin = await make_person(session, Role.STREET_ADMIN, street=street.org.street)
    r = await _export(client, admin.headers, street_scope, month, month, "xlsx")
    assert r.status_code == 200, r.text
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["服务记录", "汇总", "字段说明"]
    rows = list(book["服务记录"].iter_rows(values_only=True))
    assert rows[0][0] == "字段版本" and all(row[0] == SCHEMA_VERSION for row in rows[1:])
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(values_only=True) if row and row[0]}
    report = (await client.get("/api/reports/taizhang", params={"scope": street_scope, "period": month},
                               headers=admin.headers)).json()
    participations, volunteers, minutes = summary["计入台账（活动签到＋补录）"][:3]
    assert (int(participations), int(minutes), int(volunteers)) == (
        report["current"]["participations"], report["current"]["service_minutes"],
        report["current"]["volunteers_served"])
    there = (await client.get("/api/reports/taizhang", params={"scope": community,
                                                                "period": elsewhere["service_date"][:7]},
                              headers=organiser.headers)).json()
    assert [(k["participations"], k["service_minutes"], k["activities"]) for k in there["by_kind"]
            if k["name"] == "补录（组织外服务）"] == [(1, 90, 0)]
    # The 台账's downloads say what its API says: 参与服务(人次), 参与服务志愿者(人) and 服务时长(小时) of 本期.
    wanted = {"参与服务(人次)": participations, "参与服务志愿者(人)": volunteers,
              "服务时长(小时)": round(int(minutes) / 60, 2)}
    download = await client.get("/api/reports/taizhang", params={"scope": street_scope, "period": month,
                                                                  "format": "xlsx"}, headers=admin.headers)
    sheet = load_workbook(io.BytesIO(download.content))["汇总"]
    lines = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0] in wanted}
    assert {k: float(v) for k, v in lines.items()} == {k: float(v) for k, v in wanted.items()}
    download = await client.get("/api/reports/taizhang", params={"scope": street_scope, "period": month,
                                                                  "format": "csv"}, headers=admin.headers)
    lines = {row[0]: row[1] for row in csv.reader(io.StringIO(download.text.lstrip("\ufeff")))
             if row and row[0] in wanted}
    assert {k: float(v) for k, v in lines.items()} == {k: float(v) for k, v in wanted.items()}
    await log_in(client, organiser)
    page = text_of((await client.get("/manage/reports", params={"scope": community, "month": month})).text)
    community_report = (await client.get("/api/reports/taizhang", params={"scope": community, "period": month},
                                         headers=organiser.headers)).json()
    assert str(community_report["current"]["service_hours"]) in page


def _months_of_recent_days() -> set[str]:
    import datetime as dt
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    return {(now - dt.timedelta(days=d)).strftime("%Y-%m") for d in (0, 1)}


async def test_bad_input_and_outsiders_get_a_stable_code(client, db, session) -> None:  # noqa: ANN001
    scenario = await export_scenario.build(client, db, session)
    street = scenario.street
    scope = f"community:{street.org.community.id}"
    headers = street.organiser.headers
    for params, status, code in (
        ({"from": "2026-12", "to": "2026-10"}, 422, "month_range_reversed"),
        ({"from": "2025-01", "to": "2026-01"}, 422, "month_range_too_long"),
        ({"from": "2026-13", "to": "2026-12"}, 422, "invalid_month"),
        ({"scope": "community:999999"}, 404, "scope_not_found"),
        ({"scope": "district:1"}, 422, "invalid_scope"),
        ({"format": "csv"}, 422, "invalid_format"),
    ):
        query = {"scope": scope, "from": "2026-10", "to": "2026-12", "format": "jsonl", **params}
        r = await client.get("/api/records/export", params=query, headers=headers)
        assert r.status_code == status and r.json()["code"] == code, (params, r.text)
    query = {"scope": scope, "from": "2026-10", "to": "2026-12"}
    r = await client.get("/api/records/export", params=query, headers=street.helper.headers)  # a member
    assert r.status_code == 403 and r.json()["code"] == "organiser_required", r.text
    r = await client.get("/api/records/export", params=query, headers=street.outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "scope_not_found", r.text
    elsewhere = await make_person(session, Role.ORGANISER, community=street.org.other)
    r = await client.get("/api/records/export", params=query, headers=elsewhere.headers)
    assert r.status_code == 404 and r.json()["code"] == "scope_not_found"
    assert (await client.get("/api/records/export", params=query)).status_code == 401
    zh = await client.get("/api/records/export", params={**query, "from": "2026-12", "to": "2026-01"},
                          headers={**headers, "Accept-Language": "zh-CN"})
    assert "结束月份早于开始月份" in zh.text


def test_the_docs_print_the_field_mapping_of_this_version() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert f"schema_version` {SCHEMA_VERSION}" in text or f"`schema_version` = `{SCHEMA_VERSION}`" in text
    for field in FIELDS:
        row = re.search(rf"^\| `{field.key}` \| (.*?) \| (.*?) \| (.*?) \|$", text, re.M)
        assert row is not None, field.key
        assert (row[1], row[2], row[3]) == (field.heading, field.regulation, field.upload_column), field.key


async def test_the_export_leaves_in_batches_as_it_is_read(client, db, session, monkeypatch) -> None:  # noqa: ANN001
    """Rows are fetched and sent a batch at a time (here 2), never gathered first."""
    from servicebank.records import record_export

    scenario = await export_scenario.build(client, db, session)
    monkeypatch.setattr(record_export, "BATCH", 2)
    months = sorted(_months_of_recent_days())
    async with db.session_scope() as s:
        scope = await record_export.prepare(s, principal=None, scope=f"community:{scenario.street.org.community.id}",
                                            first_month=months[0], last_month=months[-1])
        sent: list[int] = []
        chunks = [chunk async for chunk in record_export.jsonl_chunks(s, scope, timezone=db.settings.timezone,
                                                                       advance=sent.append)]
    lines = b"".join(chunks).decode("utf-8").splitlines()
    assert len(lines) == 6 and [len(c.decode("utf-8").splitlines()) for c in chunks] == [2, 2, 2] and sent == [2, 2, 2]
