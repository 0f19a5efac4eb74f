"""The 台账 of requests: per category and month, re-derived from the rows."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from servicebank.kernel.clock import utcnow
from tests.requests.support import make_street, open_in_hall, order


async def test_figures_per_category_and_month(client, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    served = await open_in_hall(client, street)
    await client.post(f"/api/requests/{served}/accept", headers=street.helper.headers)
    for step in ("start", "finish"):
        await client.post(f"/api/requests/{served}/{step}", headers=street.helper.headers)
    await client.post(f"/api/requests/{served}/rating", json={"stars": 5}, headers=street.resident.headers)
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
