"""Qualifications with expiry: types, kinds that require one, the sign-up refusal, the organiser's check, masking,
and the reminder 30 days before expiry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from servicebank.notifications.models import Notification
from servicebank.records import qualifications
from servicebank.records.models import VolunteerQualification
from tests.activities.conftest import create
from tests.factories import make_org, make_person


def _day(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def _certificate(**overrides: object) -> dict[str, object]:
    return {"qualification_code": "first_aid", "issuer": "市红十字会", "number": "HZ2024 0012345",
            "valid_until": _day(365), **overrides}


async def test_types_are_seeded_and_a_community_adds_or_renames(client, world) -> None:  # noqa: ANN001
    cid = world.org.community.id
    r = await client.get(f"/api/communities/{cid}/qualification-types", headers=world.volunteer.headers)
    names = {t["code"]: t["name"] for t in r.json()}
    assert names["first_aid"] == "急救证" and names["health_certificate"] == "健康证" and names["driving_licence"] == "驾驶证"
    r = await client.post(f"/api/communities/{cid}/qualification-types", json={"code": "Bad Code", "name": "x"},
                          headers=world.organiser.headers)
    assert r.status_code == 422 and r.json()["code"] == "invalid_qualification_type"
    r = await client.post(f"/api/communities/{cid}/qualification-types", json={"code": "lifeguard", "name": "救生员证"},
                          headers=world.volunteer.headers)
    assert r.status_code == 403
    r = await client.post(f"/api/communities/{cid}/qualification-types", json={"code": "lifeguard", "name": "救生员证"},
                          headers=world.organiser.headers)
    assert r.status_code == 201 and r.json() == {"code": "lifeguard", "name": "救生员证", "custom": True}


async def test_a_kind_that_requires_a_qualification_refuses_sign_up_until_a_valid_checked_one(
        client, world, db) -> None:  # noqa: ANN001
    cid, v = world.org.community.id, world.volunteer
    r = await client.put(f"/api/communities/{cid}/qualification-requirements",
                         json={"kind": "health_clinic", "qualification_code": "nope"}, headers=world.organiser.headers)
    assert r.status_code == 422 and r.json()["code"] == "unknown_qualification"
    r = await client.put(f"/api/communities/{cid}/qualification-requirements",
                         json={"kind": "no_such_kind", "qualification_code": "first_aid"},
                         headers=world.organiser.headers)
    assert r.status_code == 422 and r.json()["code"] == "unknown_kind"
    r = await client.put(f"/api/communities/{cid}/qualification-requirements",
                         json={"kind": "health_clinic", "qualification_code": "first_aid"},
                         headers=world.organiser.headers)
    assert r.json() == [{"kind": "health_clinic", "qualification_code": "first_aid"}]
    clinic = await create(client, world, kind="health_clinic")
    r = await client.post(f"/api/activities/{clinic['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "qualification_required"
    assert r.json()["missing"] == ["first_aid"] and r.json()["missing_names"] == ["急救证"]
    r = await client.post(f"/api/activities/{clinic['id']}/signups", headers={**v.headers, "Accept-Language": "zh-CN"})
    assert "证书" in r.text
    # The volunteer's own entry does not count until an organiser has checked it.
    r = await client.post("/api/me/qualifications", json=_certificate(), headers=v.headers)
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["state"] == "unchecked" and mine["number_masked"] == "HZ*******2345"
    r = await client.post(f"/api/activities/{clinic['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["code"] == "qualification_required"
    r = await client.post(f"/api/qualifications/{mine['id']}/verify", headers=v.headers)
    assert r.status_code == 403
    r = await client.post(f"/api/qualifications/{mine['id']}/verify", headers=world.organiser.headers)
    assert r.status_code == 200 and r.json()["state"] == "valid" and r.json()["verified_by_user_id"]
    r = await client.post(f"/api/activities/{clinic['id']}/signups", headers=v.headers)
    assert r.status_code == 201 and r.json()["status"] == "confirmed"
    async with db.session_scope() as s:
        actions = set((await s.scalars(select(AuditEntry.action))).all())
        stored = (await s.scalars(select(VolunteerQualification.number_masked))).all()
    assert {"qualification.create", "qualification.verify", "kind_qualification.require"} <= actions
    assert stored == ["HZ*******2345"]  # the full number is nowhere


async def test_a_certificate_that_expires_before_the_activity_does_not_count(client, world) -> None:  # noqa: ANN001
    cid, v = world.org.community.id, world.volunteer
    await client.put(f"/api/communities/{cid}/qualification-requirements",
                     json={"kind": "patrol", "qualification_code": "driving_licence"}, headers=world.organiser.headers)
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/qualifications",
                          json=_certificate(qualification_code="driving_licence", valid_until=_day(1)),
                          headers=world.organiser.headers)
    assert r.status_code == 201 and r.json()["state"] == "expiring" and r.json()["verified_at"]
    later = await create(client, world, kind="patrol")  # starts in 48 hours, after the licence ends
    r = await client.post(f"/api/activities/{later['id']}/signups", headers=v.headers)
    assert r.status_code == 403 and r.json()["missing"] == ["driving_licence"]


async def test_bad_certificates_are_refused_and_change_nothing(client, world, session, db) -> None:  # noqa: ANN001
    v = world.volunteer
    for body, code in [(_certificate(valid_until=_day(-1)), "qualification_expired"),
                       (_certificate(issuer=" "), "invalid_qualification"),
                       (_certificate(number="12"), "invalid_qualification"),
                       (_certificate(qualification_code="pilot"), "unknown_qualification")]:
        r = await client.post("/api/me/qualifications", json=body, headers=v.headers)
        assert r.status_code == 422 and r.json()["code"] == code, (body, r.text)
    other = await make_org(session)
    outsider = await make_person(session, Role.ORGANISER, community=other.community)
    r = await client.post(f"/api/volunteers/{v.volunteer.id}/qualifications", json=_certificate(),
                          headers=outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "volunteer_not_found"
    r = await client.get(f"/api/volunteers/{v.volunteer.id}/qualifications", headers=outsider.headers)
    assert r.status_code == 404
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count()).select_from(VolunteerQualification)) == 0


async def test_a_reminder_goes_out_30_days_before_expiry_once_per_valid_until(client, world, db) -> None:  # noqa: ANN001
    v = world.volunteer
    for days in (20, 45):
        await client.post(f"/api/volunteers/{v.volunteer.id}/qualifications",
                          json=_certificate(valid_until=_day(days)), headers=world.organiser.headers)
    await client.post("/api/me/qualifications", json=_certificate(qualification_code="health_certificate",
                                                                  valid_until=_day(10)), headers=v.headers)
    async with db.session_scope() as s:
        assert await qualifications.remind_expiring(s) == 1  # the unchecked one waits for its check
    async with db.session_scope() as s:
        assert await qualifications.remind_expiring(s) == 0
    await events.drain(db)
    async with db.session_scope() as s:
        notes = (await s.scalars(select(Notification.title).where(Notification.type == "qualification.expiring"))).all()
        sent = await s.scalar(select(func.count()).select_from(OutboxEvent)
                              .where(OutboxEvent.type == "qualification.expiring"))
    assert notes == ["证书即将到期：急救证"] and sent == 1
    # Renewed with a new date, the certificate gets its own reminder when that one comes near.
    async with db.session_scope() as s:
        row = await s.scalar(select(VolunteerQualification).where(VolunteerQualification.valid_until == dt.date.today()
                                                                  + dt.timedelta(days=20)))
        row.valid_until = dt.date.today() + dt.timedelta(days=25)
    async with db.session_scope() as s:
        assert await qualifications.remind_expiring(s) == 1


def test_numbers_are_masked_like_identity_fields() -> None:
    assert qualifications.mask_number("110105194912310021") == "11************0021"
    assert qualifications.mask_number("A 1234") == "***34"
