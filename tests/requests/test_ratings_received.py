"""评价情况: the ratings a volunteer received appear in their service record (API, /me, the staff's volunteer page)
and, frozen at issue, on their certificate (API and PDF)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from servicebank.kernel.clock import utcnow
from servicebank.requests.models import ServiceRequest
from tests.requests.support import Street, make_street, open_in_hall
from tests.web.pages import log_in, text_of


async def _served_and_rated(client, db, street: Street, stars: int, tags: list[str]) -> int:  # noqa: ANN001
    request_id = await open_in_hall(client, street)
    for step in ("accept", "start"):
        r = await client.post(f"/api/requests/{request_id}/{step}", headers=street.helper.headers)
        assert r.status_code == 200, r.text
    async with db.session_scope() as s:
        (await s.get(ServiceRequest, request_id)).started_at = utcnow() - dt.timedelta(minutes=45)
    assert (await client.post(f"/api/requests/{request_id}/finish", headers=street.helper.headers)).status_code == 200
    r = await client.post(f"/api/requests/{request_id}/rating", json={"stars": stars, "tags": tags},
                          headers=street.resident.headers)
    assert r.status_code == 201, r.text
    return request_id


async def test_ratings_in_the_service_record_and_on_the_certificate(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    helper_id = street.helper.volunteer.id
    r = await client.get(f"/api/volunteers/{helper_id}/request-ratings", headers=street.helper.headers)
    assert r.status_code == 200 and r.json() is None
    await _served_and_rated(client, db, street, 5, ["准时", "耐心"])
    await _served_and_rated(client, db, street, 4, ["准时"])
    expected = {"count": 2, "average": 4.5, "tags": [["准时", 2], ["耐心", 1]]}
    for who in (street.helper, street.organiser, street.grid_worker):
        r = await client.get(f"/api/volunteers/{helper_id}/request-ratings", headers=who.headers)
        assert r.status_code == 200 and r.json() == expected, r.text
    for who in (street.second, street.outsider):  # another volunteer's ratings are theirs and their staff's
        r = await client.get(f"/api/volunteers/{helper_id}/request-ratings", headers=who.headers)
        assert r.status_code == 404 and r.json()["code"] == "volunteer_not_found"

    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    body = {"volunteer_id": helper_id, "period_start": (today - dt.timedelta(days=1)).isoformat(),
            "period_end": today.isoformat(), "person_in_charge": "社工小张"}
    cert = await client.post(f"/api/communities/{street.org.community.id}/certificates", json=body,
                             headers=street.organiser.headers)
    assert cert.status_code == 201, cert.text
    assert cert.json()["rating"] == expected and cert.json()["total_minutes"] == 90
    pdf = await client.get(f"/api/certificates/{cert.json()['id']}/pdf", headers=street.organiser.headers)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    text = text.replace(" ", "").replace("\n", "").replace("\x00", "")
    assert "评价情况" in text and "平均4.5星（共2次评价）" in text and "准时2次" in text

    await log_in(client, street.helper)
    me = text_of((await client.get("/me")).text)
    assert "评价情况" in me and "平均 4.5 星（共 2 次评价）" in me and "准时 ×2" in me
    await log_in(client, street.organiser)
    page = text_of((await client.get(f"/manage/volunteers/{helper_id}")).text)
    assert "平均 4.5 星（共 2 次评价）" in page and "耐心 ×1" in page
    certificates = text_of((await client.get("/manage/certificates")).text)
    assert "平均 4.5 星（共 2 次评价）" in certificates


async def test_only_services_finished_in_the_period_count(client, db, session) -> None:  # noqa: ANN001
    from servicebank.requests import ratings

    street = await make_street(session)
    await _served_and_rated(client, db, street, 2, [])
    now = utcnow()
    async with db.session_scope() as s:
        inside = await ratings.received(s, volunteer_id=street.helper.volunteer.id,
                                        served_from=now - dt.timedelta(days=1), served_before=now)
        before = await ratings.received(s, volunteer_id=street.helper.volunteer.id,
                                        served_before=now - dt.timedelta(days=1))
    assert inside is not None and inside.as_dict() == {"count": 1, "average": 2.0, "tags": []}
    assert before is None
    assert ratings.in_words(None) == "—"
