"""Reviewing and publishing lists, the public notice page, objections, posters and permissions."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select, update

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.honours.models import HonourList
from tests.factories import make_person
from tests.honours.seeding import seed_october


async def _generate(client, person, **body) -> dict:  # noqa: ANN001
    response = await client.post("/api/honours/generate", json={"month": "2026-10", **body}, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _community_list(client, person, community_id: int) -> dict:  # noqa: ANN001
    lists = (await client.get("/api/honours/lists", params={"scope": f"community:{community_id}"},
                              headers=person.headers)).json()
    return (await client.get(f"/api/honours/lists/{lists[0]['id']}", headers=person.headers)).json()


async def test_review_publish_notice_objections_and_freeze(client, session, db) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    result = await _generate(client, organiser, community_id=org.community.id)
    assert result["created"] == 1
    draft = await _community_list(client, organiser, org.community.id)
    assert draft["status"] == "draft" and draft["state"] == "draft" and draft["entries"]
    # Drafts are not public.
    response = await client.get(f"/api/public/honours/{draft['id']}")
    assert response.status_code == 404 and response.json()["code"] == "honour_list_not_found"
    bad = await client.post(f"/api/honours/lists/{draft['id']}/publish", json={"notice_days": 3},
                            headers=organiser.headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_notice_days"
    published = await client.post(f"/api/honours/lists/{draft['id']}/publish", json={}, headers=organiser.headers)
    assert published.status_code == 200 and published.json()["state"] == "notice"
    async with db.session_scope() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "honour_list.publish"))
    assert entry is not None and entry.entity_id == str(draft["id"]) and entry.community_id == org.community.id
    again = await client.post(f"/api/honours/lists/{draft['id']}/publish", json={}, headers=organiser.headers)
    assert again.status_code == 409 and again.json()["code"] == "honour_list_published"

    public = (await client.get(f"/api/public/honours/{draft['id']}")).json()
    assert public["state"] == "notice" and public["objections_open"] and public["scope_name"] == org.community.name
    by_rank = [e for e in draft["entries"] if e["section"] == "top_volunteers"]
    names = [e["name"] for e in public["top_volunteers"]]
    for entry, shown in zip(by_rank, names, strict=True):
        volunteer = seeded.volunteers[entry["volunteer_id"]]
        assert volunteer.real_name not in shown or len(volunteer.real_name) == 1
        assert shown == (entry["public_name"] if volunteer.public_consent else "志愿者（未公开姓名）")
    assert "volunteer_id" not in str(public)

    objection = {"name": "居民甲", "phone": "13800000000", "text": "第一名的时长好像算多了，请核实。"}
    for bad_body, code in (({**objection, "text": "短"}, "invalid_objection_text"),
                           ({**objection, "name": " "}, "invalid_objection_name"),
                           ({**objection, "phone": "abc"}, "invalid_phone")):
        response = await client.post(f"/api/public/honours/{draft['id']}/objections", json=bad_body)
        assert response.status_code == 422 and response.json()["code"] == code
    created = await client.post(f"/api/public/honours/{draft['id']}/objections", json=objection)
    assert created.status_code == 201, created.text
    for _ in range(4):
        assert (await client.post(f"/api/public/honours/{draft['id']}/objections", json=objection)).status_code == 201
    limited = await client.post(f"/api/public/honours/{draft['id']}/objections", json=objection)
    assert limited.status_code == 429 and limited.json()["code"] == "objection_rate_limited"

    listed = (await client.get(f"/api/honours/lists/{draft['id']}/objections", headers=organiser.headers)).json()
    assert len(listed) == 5 and listed[0]["phone"] == "13800000000"
    first = listed[0]["id"]
    bad = await client.post(f"/api/honours/objections/{first}/resolve", json={"resolution": "maybe", "note": "好的"},
                            headers=organiser.headers)
    assert bad.json()["code"] == "invalid_resolution"
    done = await client.post(f"/api/honours/objections/{first}/resolve",
                             json={"resolution": "dismissed", "note": "经核实时长无误。"}, headers=organiser.headers)
    assert done.status_code == 200 and done.json()["status"] == "dismissed"
    twice = await client.post(f"/api/honours/objections/{first}/resolve",
                              json={"resolution": "upheld", "note": "再议"}, headers=organiser.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "objection_resolved"

    # Regenerating leaves the published list exactly as it was.
    assert (await _generate(client, organiser, community_id=org.community.id))["kept_published"] == 1
    assert (await _community_list(client, organiser, org.community.id))["entries"] == draft["entries"]

    # After the notice period the list is final and objections are closed.
    async with db.session_scope() as s:
        await s.execute(update(HonourList).where(HonourList.id == draft["id"]).values(
            notice_ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    assert (await client.get(f"/api/public/honours/{draft['id']}")).json()["state"] == "final"
    closed = await client.post(f"/api/public/honours/{draft['id']}/objections", json=objection)
    assert closed.status_code == 409 and closed.json()["code"] == "notice_period_over"


async def test_posters_are_chinese_png_and_pdf(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await _generate(client, organiser, community_id=org.community.id)
    draft = await _community_list(client, organiser, org.community.id)
    assert (await client.get(f"/api/public/honours/{draft['id']}/poster.png")).status_code == 404
    await client.post(f"/api/honours/lists/{draft['id']}/publish", json={}, headers=organiser.headers)
    public = (await client.get(f"/api/public/honours/{draft['id']}")).json()

    png = await client.get(f"/api/public/honours/{draft['id']}/poster.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.format == "PNG" and image.width == 1080 and image.height > 1000

    pdf = await client.get(f"/api/public/honours/{draft['id']}/poster.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    text = text.replace(" ", "").replace("\n", "").replace("\x00", "")
    assert org.community.name in text and "2026年10月志愿服务光荣榜" in text
    assert "服务时长榜" in text and "优秀服务队" in text and "公示中" in text
    for entry in public["top_volunteers"]:
        assert entry["name"] in text
    hidden = [v.real_name for v in seeded.volunteers.values() if v.community_id == org.community.id]
    assert not any(name in text for name in hidden if len(name) > 1)


async def test_only_the_scope_managers_can_generate_and_review(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    neighbour = await make_person(session, Role.ORGANISER, community=org.other)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    street_admin = await make_person(session, Role.STREET_ADMIN, street=org.street)
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    await _generate(client, organiser, community_id=org.community.id)
    own = await _community_list(client, organiser, org.community.id)
    for person, status in ((neighbour, 404), (volunteer, 403)):
        response = await client.get(f"/api/honours/lists/{own['id']}", headers=person.headers)
        assert response.status_code == status
        response = await client.post("/api/honours/generate", json={"month": "2026-10",
                                                                    "community_id": org.community.id},
                                     headers=person.headers)
        assert response.status_code == status
    for body, code, status in (({"month": "2026-10"}, "admin_required", 403),
                               ({"month": "2026-10", "street_id": org.street.id}, "street_not_found", 404),
                               ({"month": "2026-10", "community_id": 1, "street_id": 1}, "invalid_scope", 422),
                               ({"month": "2026-1", "community_id": org.community.id}, "invalid_month", 422)):
        response = await client.post("/api/honours/generate", json=body, headers=organiser.headers)
        assert (response.status_code, response.json()["code"]) == (status, code)
    street = await client.post("/api/honours/generate", json={"month": "2026-10", "street_id": org.street.id},
                               headers=street_admin.headers)
    assert street.status_code == 200 and street.json()["created"] == 2  # the neighbour and the street
    lists = await client.get("/api/honours/lists", params={"scope": f"street:{org.street.id}"},
                             headers=street_admin.headers)
    assert lists.status_code == 200 and len(lists.json()) == 1
    assert (await client.get("/api/honours/lists", params={"scope": f"street:{org.street.id}"},
                             headers=organiser.headers)).status_code == 404
    assert (await client.get("/api/honours/lists", params={"scope": "city:1"},
                             headers=organiser.headers)).json()["code"] == "invalid_scope"
    everything = await client.post("/api/honours/generate", json={"month": "2026-10"}, headers=admin.headers)
    assert everything.status_code == 200 and everything.json()["unchanged"] == 3
