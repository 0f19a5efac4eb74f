"""Certificates of volunteer service: figures from the ledger, required fields in the PDF, verification, revoke."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from pypdf import PdfReader

from servicebank.accounts.models import Role
from tests.factories import make_person
from tests.honours.seeding import KINDS, Seeded, seed_october


def _expected(seeded: Seeded, volunteer_id: int, start: dt.date, end: dt.date) -> tuple[int, dict[str, int]]:
    """Total credited minutes by service date, and minutes per activity kind name."""
    kinds = {a.activity_id: a.kind for a in seeded.activities}
    attendance_kind = {a.attendance_id: kinds[a.activity_id] for a in seeded.attendances}
    per_kind: dict[str, int] = defaultdict(int)
    total = 0
    for c in seeded.credits:
        if c.volunteer_id == volunteer_id and start <= c.service_date <= end:
            total += c.minutes
            name = KINDS[attendance_kind[c.attendance_id]] if c.attendance_id else "其他服务"
            per_kind[name] += c.minutes
    return total, {k: v for k, v in per_kind.items() if v}


def _pdf_text(content: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace(" ", "").replace("\n", "").replace("\x00", "")


async def test_issue_download_verify_and_revoke(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    org.community.contact_phone = "010-12345678"
    volunteer = next(v for v in seeded.volunteers.values()
                     if v.community_id == org.community.id and v.public_consent and not v.paid_service)
    volunteer.id_type, volunteer.id_number_masked = "居民身份证", "110***********1234"
    await session.commit()
    organiser = await make_person(session, Role.ORGANISER, community=org.community, name="赵书记")
    body = {"volunteer_id": volunteer.id, "period_start": "2026-10-01", "period_end": "2026-10-31",
            "person_in_charge": "赵书记"}
    response = await client.post(f"/api/communities/{org.community.id}/certificates", json=body,
                                 headers=organiser.headers)
    assert response.status_code == 201, response.text
    cert = response.json()
    total, per_kind = _expected(seeded, volunteer.id, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert cert["total_minutes"] == total > 0
    assert {c["name"]: c["minutes"] for c in cert["content"]} == per_kind
    year = dt.date.today().year
    assert cert["number"] == f"ZYFW-{org.community.code}-{year}-00001" and len(cert["verification_code"]) == 8
    assert cert["id_number_masked"] == "110***********1234" and cert["contact_phone"] == "010-12345678"
    second = await client.post(f"/api/communities/{org.community.id}/certificates", json=body,
                               headers=organiser.headers)
    assert second.json()["number"] == f"ZYFW-{org.community.code}-{year}-00002"

    pdf = await client.get(f"/api/certificates/{cert['id']}/pdf", headers=organiser.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    hours, rest = divmod(total, 60)
    for required in ("志愿服务证明", volunteer.real_name, "居民身份证", "110***********1234", volunteer.number,
                     f"{hours}小时", org.community.name, "赵书记", "010-12345678", cert["number"],
                     cert["verification_code"], "2026-10-01至2026-10-31", *per_kind):
        assert required in text, required
    assert rest == 0 or f"{rest}分钟" in text

    check = await client.get(f"/api/public/certificates/{cert['number']}", params={"code": cert["verification_code"]})
    assert check.status_code == 200 and check.json()["genuine"] is True
    assert check.json()["total_minutes"] == total and check.json()["volunteer_name"] != volunteer.real_name
    assert check.json()["volunteer_name"][0] == volunteer.real_name[0]
    wrong = await client.get(f"/api/public/certificates/{cert['number']}", params={"code": "AAAAAAAA"})
    assert wrong.status_code == 404 and wrong.json()["code"] == "certificate_not_found"
    volunteer.public_consent = False
    await session.commit()
    hidden = (await client.get(f"/api/public/certificates/{cert['number']}",
                               params={"code": cert["verification_code"]})).json()
    assert hidden["genuine"] and hidden["volunteer_name"] is None and hidden["total_minutes"] is None

    bad = await client.post(f"/api/certificates/{cert['id']}/revoke", json={"reason": ""}, headers=organiser.headers)
    assert bad.json()["code"] == "invalid_reason"
    revoked = await client.post(f"/api/certificates/{cert['id']}/revoke", json={"reason": "时长录入有误"},
                                headers=organiser.headers)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = await client.post(f"/api/certificates/{cert['id']}/revoke", json={"reason": "再次"},
                              headers=organiser.headers)
    assert again.status_code == 409 and again.json()["code"] == "certificate_closed"
    check = (await client.get(f"/api/public/certificates/{cert['number']}",
                              params={"code": cert["verification_code"]})).json()
    assert check["genuine"] is False and check["status"] == "revoked"
    assert "已作废" in _pdf_text((await client.get(f"/api/certificates/{cert['id']}/pdf",
                                                  headers=organiser.headers)).content)


async def test_volunteer_requests_and_organiser_issues(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    volunteer = next(v for v in seeded.volunteers.values() if v.community_id == org.community.id
                     and _expected(seeded, v.id, dt.date(2026, 10, 1), dt.date(2026, 10, 31))[0] > 0)
    person = await make_person(session, Role.VOLUNTEER, volunteer=volunteer)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    neighbour = await make_person(session, Role.ORGANISER, community=org.other)
    body = {"period_start": "2026-10-01", "period_end": "2026-10-31", "purpose": "升学"}
    requested = await client.post("/api/certificates/requests", json=body, headers=person.headers)
    assert requested.status_code == 201 and requested.json()["status"] == "requested"
    assert requested.json()["number"] is None
    dup = await client.post("/api/certificates/requests", json=body, headers=person.headers)
    assert dup.status_code == 409 and dup.json()["code"] == "certificate_request_pending"
    cert_id = requested.json()["id"]
    assert (await client.get(f"/api/certificates/{cert_id}/pdf", headers=person.headers)).json()["code"] == \
        "certificate_not_issued"
    waiting = await client.get(f"/api/communities/{org.community.id}/certificates",
                               params={"status": "requested"}, headers=organiser.headers)
    assert [c["id"] for c in waiting.json()] == [cert_id]
    outsider = await client.post(f"/api/certificates/{cert_id}/issue", json={}, headers=neighbour.headers)
    assert outsider.status_code == 404 and outsider.json()["code"] == "certificate_not_found"
    issued = await client.post(f"/api/certificates/{cert_id}/issue", json={"person_in_charge": "钱主任"},
                               headers=organiser.headers)
    assert issued.status_code == 200 and issued.json()["status"] == "issued" and issued.json()["number"]
    twice = await client.post(f"/api/certificates/{cert_id}/issue", json={}, headers=organiser.headers)
    assert twice.json()["code"] == "certificate_not_requested"
    mine = (await client.get("/api/certificates/mine", headers=person.headers)).json()
    assert [c["id"] for c in mine] == [cert_id]
    own_pdf = await client.get(f"/api/certificates/{cert_id}/pdf", headers=person.headers)
    assert own_pdf.status_code == 200 and "钱主任" in _pdf_text(own_pdf.content)
    assert (await client.get(f"/api/certificates/{cert_id}", headers=neighbour.headers)).status_code == 404


async def test_bad_certificate_requests(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    staff_only = await make_person(session, Role.ORGANISER, community=org.other)
    inside = next(v for v in seeded.volunteers.values() if v.community_id == org.community.id)
    outside = next(v for v in seeded.volunteers.values() if v.community_id == org.other.id)
    url = f"/api/communities/{org.community.id}/certificates"
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    cases = [
        ({"volunteer_id": inside.id, "period_start": "2026-10-31", "period_end": "2026-10-01"}, "invalid_period"),
        ({"volunteer_id": inside.id, "period_start": "2026-10-01", "period_end": tomorrow}, "invalid_period"),
        ({"volunteer_id": outside.id, "period_start": "2026-10-01", "period_end": "2026-10-31"},
         "volunteer_not_found"),
        ({"volunteer_id": inside.id, "period_start": "2020-01-01", "period_end": "2020-12-31"},
         "no_service_in_period"),
    ]
    for body, code in cases:
        response = await client.post(url, json=body, headers=organiser.headers)
        assert response.json()["code"] == code, body
    response = await client.post("/api/certificates/requests", json={"period_start": "2026-10-01",
                                                                     "period_end": "2026-10-31"},
                                 headers=staff_only.headers)
    assert response.status_code == 403 and response.json()["code"] == "volunteer_required"
    response = await client.post(url, json={"volunteer_id": inside.id, "period_start": "2026-10-01",
                                            "period_end": "2026-10-31"}, headers=staff_only.headers)
    assert response.status_code == 404


async def test_the_qr_opens_a_page_that_names_issuer_date_and_period(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    volunteer = next(v for v in seeded.volunteers.values()
                     if v.community_id == org.community.id and v.public_consent and not v.paid_service)
    organiser = await make_person(session, Role.ORGANISER, community=org.community, name="赵书记")
    body = {"volunteer_id": volunteer.id, "period_start": "2026-10-01", "period_end": "2026-10-31"}
    cert = (await client.post(f"/api/communities/{org.community.id}/certificates", json=body,
                              headers=organiser.headers)).json()
    url = cert["verification_url"]
    assert "/api/" not in url and "/verify?number=" in url, url
    page = await client.get(url[url.index("/verify"):])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for shown in ("这份证明是真的", org.community.name,
                  cert["issue_date"], "2026-10-01 – 2026-10-31", cert["number"]):
        assert shown in html, shown
