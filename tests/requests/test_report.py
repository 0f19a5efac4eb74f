"""The 台账 of requests: per category and month, re-derived from the rows."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from servicebank.kernel.clock import utcnow
from tests.requests.support import Street, make_street, open_in_hall, order


async def _served_and_rated(client, street: Street, *, stars: int) -> None:  # noqa: ANN001
    served = await open_in_hall(client, street)
    await client.post(f"/api/requests/{served}/accept", headers=street.helper.headers)
    for step in ("start", "finish"):
        await client.post(f"/api/requests/{served}/{step}", headers=street.helper.headers)
    r = await client.post(f"/api/requests/{served}/rating", json={"stars": stars}, headers=street.resident.headers)
    assert r.status_code == 201, r.text


async def test_figures_per_category_and_month(client, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    await _served_and_rated(client, street, stars=5)
    await open_in_hall(client, street)  # waiting in the hall
    declined = (await order(client, street))["id"]
    await client.post(f"/api/requests/{declined}/review", json={"approve": False, "reason": "重复提交"},
                      headers=street.organiser.headers)
    month = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # the settings' zone
    r = await client.get("/api/reports/requests", params={"scope": f"community:{street.org.community.id}",
                                                          "period": month}, headers=street.organiser.headers)
    assert r.status_code == 200, r.text
    rows = {row["category"]: row for row in r.json()["rows"]}
    shopping = rows["代购"]
    assert (shopping["requests"], shopping["counted"], shopping["accepted"], shopping["completed"]) == (3, 2, 1, 1)
    assert shopping["response_rate"] == 50.0 and shopping["completion_rate"] == 50.0
    assert shopping["satisfaction"] == 100.0 and shopping["average_stars"] == 5.0
    assert shopping["average_response_minutes"] == 0 and rows["合计"]["requests"] == 3
    r = await client.get("/api/reports/requests", params={"scope": f"community:{street.org.community.id}",
                                                          "period": month}, headers=street.helper.headers)
    assert r.status_code == 403 and r.json()["code"] == "organiser_required"


async def test_the_reports_page_shows_the_request_figures(client, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    await open_in_hall(client, street)
    page = await client.get(f"/manage/reports?scope=community:{street.org.community.id}",
                            headers=street.organiser.headers)
    assert page.status_code == 200
    assert "居民需求" in page.text and "响应率 %" in page.text and "代购" in page.text


async def test_the_taizhang_downloads_carry_the_same_request_figures(client, session) -> None:  # noqa: ANN001
    import csv
    import io

    from openpyxl import load_workbook

    from servicebank.reports.export import REQUEST_COLUMNS
    from tests.requests.support import category_id

    street = await make_street(session)
    await _served_and_rated(client, street, stars=3)
    await open_in_hall(client, street, category_id=await category_id(client, street, "陪诊"))
    declined = (await order(client, street))["id"]
    await client.post(f"/api/requests/{declined}/review", json={"approve": False, "reason": "重复提交"},
                      headers=street.organiser.headers)
    month = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    params = {"scope": f"community:{street.org.community.id}", "period": month}
    api = (await client.get("/api/reports/requests", params=params, headers=street.organiser.headers)).json()
    expected = [[row[field] for field, _label in REQUEST_COLUMNS] for row in api["rows"]]
    assert {row[1] for row in expected} == {"代购", "陪诊", "合计"} and len(expected) == 3

    xlsx = await client.get("/api/reports/taizhang", params={**params, "format": "xlsx"},
                            headers=street.organiser.headers)
    assert xlsx.status_code == 200, xlsx.text
    sheet = load_workbook(io.BytesIO(xlsx.content))["居民需求"]
    table = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert table[0] == [label for _field, label in REQUEST_COLUMNS]
    assert [[None if v == "" else v for v in row] for row in table[1:]] == expected

    text = (await client.get("/api/reports/taizhang", params={**params, "format": "csv"},
                             headers=street.organiser.headers)).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    start = lines.index(["【居民需求】"])
    header, *body = lines[start + 1:start + 2 + len(expected)]
    assert header == [label for _field, label in REQUEST_COLUMNS]
    assert body == [["" if v is None else str(v) for v in row] for row in expected]
