"""Late claims (补录): a volunteer claims a past service with photos; an organiser approves (posted once, under the
hours rules, covered by `ledger verify`) or declines; bad claims are refused with a code and change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.kernel import events
from servicebank.ledger.models import ServiceCredit, Transaction
from servicebank.ledger.verify import verify
from servicebank.notifications.models import Notification
from servicebank.records import evidence
from servicebank.records.models import ClaimPhoto, ServiceClaim
from tests.factories import make_person
from tests.records.claim_helpers import JPEG, PNG, claim_activity, past_activity, send_claim


async def _counts(db) -> tuple[int, int, int]:  # noqa: ANN001
    async with db.session_scope() as s:
        return (await s.scalar(select(func.count(ServiceClaim.id))) or 0,
                await s.scalar(select(func.count(ClaimPhoto.id))) or 0,
                await s.scalar(select(func.count(Transaction.id))) or 0)


async def test_a_claimed_activity_is_posted_once_when_the_organiser_approves(client, db, world, session,
                                                                            settings) -> None:  # noqa: ANN001
    activity = await past_activity(client, db, world, hours_ago=3)
    r = await claim_activity(client, world, activity, photos=[("a.png", PNG, "image/png"),
                                                              ("b.jpg", JPEG, "image/jpeg")])
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["status"] == "pending" and claim["served_minutes"] == 120 and claim["posted_minutes"] == 0
    assert claim["community_id"] == world.org.community.id and claim["activity_title"] == activity["title"]
    assert [p["media_type"] for p in claim["photos"]] == ["image/png", "image/jpeg"]
    # The photo lives under the data directory, by its hash, and is served to the volunteer and the organiser only.
    assert (Path(settings.data_dir) / "evidence").is_dir() and evidence.root(settings).is_relative_to(settings.data_dir)
    url = claim["photos"][0]["url"]
    for reader in (world.volunteer, world.organiser):
        r = await client.get(url, headers=reader.headers)
        assert r.status_code == 200 and r.content == PNG and r.headers["content-type"].startswith("image/png")
        assert "no-store" in r.headers["cache-control"] and r.headers["x-content-type-options"] == "nosniff"
    stranger = await make_person(session, Role.VOLUNTEER, community=world.org.community)
    elsewhere = await make_person(session, Role.ORGANISER, community=world.org.other)
    for outsider in (stranger, elsewhere):
        assert (await client.get(url, headers=outsider.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401
    # The organiser sees it waiting, a volunteer cannot decide it, an organiser elsewhere does not even find it.
    r = await client.get(f"/api/communities/{world.org.community.id}/claims?status=pending",
                         headers=world.organiser.headers)
    assert [c["id"] for c in r.json()] == [claim["id"]]
    r = await client.post(f"/api/claims/{claim['id']}/approve", json={}, headers=stranger.headers)
    assert r.status_code == 403
    r = await client.post(f"/api/claims/{claim['id']}/approve", json={}, headers=elsewhere.headers)
    assert r.status_code == 404 and r.json()["code"] == "claim_not_found"
    r = await client.post(f"/api/claims/{claim['id']}/approve", json={"reason": "有照片为证"},
                          headers=world.organiser.headers)
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["status"] == "approved" and approved["posted_minutes"] == 120 and approved["transaction_id"]
    assert approved["decided_by_user_id"] == world.organiser.user.id
    r = await client.post(f"/api/claims/{claim['id']}/approve", json={}, headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "claim_already_decided"
    r = await client.post(f"/api/claims/{claim['id']}/decline", json={"reason": "x"}, headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "claim_already_decided"
    r = await client.get(f"/api/volunteers/{world.volunteer.volunteer.id}/account", headers=world.volunteer.headers)
    assert r.json()["service_minutes"] == 120 and r.json()["balance"] == approved["posted_points"] > 0
    async with db.session_scope() as s:
        txn = await s.get(Transaction, approved["transaction_id"])
        assert txn is not None and txn.kind == "claim_service" and txn.source_key == f"claim:{claim['id']}:service"
        credit = await s.scalar(select(ServiceCredit).where(ServiceCredit.transaction_id == txn.id))
        assert credit is not None and credit.claim_id == claim["id"] and credit.rule_source == "builtin"
        actions = set((await s.scalars(select(AuditEntry.action))).all())
        assert {"service_claim.submit", "service_claim.approve"} <= actions
    await events.drain(db)
    async with db.session_scope() as s:
        titles = set((await s.scalars(select(Notification.title))).all())
    assert "补录已通过" in titles and any(t.startswith("有补录申请待审核") for t in titles)
    report = await verify(db)
    assert not report.differs and report.checks["claim_postings"] == 0, report.as_dict()


async def test_the_hours_rules_apply_to_a_claim_as_to_attendance(client, db, world) -> None:  # noqa: ANN001
    # A community rule for the kind: half points, whole hours rounded down, at most 60 minutes a day.
    r = await client.post("/api/hours-rules", json={
        "community_id": world.org.community.id, "kind": "cleanup", "multiplier_permille": 500,
        "rounding_minutes": 60, "rounding": "down", "daily_cap_minutes": 60}, headers=world.organiser.headers)
    assert r.status_code == 201, r.text
    activity = await past_activity(client, db, world, hours_ago=3)
    claim = (await claim_activity(client, world, activity)).json()
    r = await client.post(f"/api/claims/{claim['id']}/approve", json={}, headers=world.organiser.headers)
    assert (r.json()["posted_minutes"], r.json()["posted_points"]) == (60, 30)
    report = await verify(db)
    assert not report.differs, report.as_dict()


def _stored_files(settings) -> int:  # noqa: ANN001
    root = evidence.root(settings)
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


async def test_bad_claims_are_refused_with_a_code_and_change_nothing(client, db, world, settings) -> None:  # noqa: ANN001
    activity = await past_activity(client, db, world, hours_ago=3)
    files_before = _stored_files(settings)
    cases = [
        ({"photos": [("a.jpg", b"GIF89a" + b"\x00" * 20, "image/jpeg")]}, 422, "claim_photo_type"),
        ({"photos": [("a.png", b"<svg></svg>", "image/png")]}, 422, "claim_photo_type"),
        ({"photos": [("big.png", PNG + b"\x00" * settings.claim_photo_max_bytes, "image/png")]}, 422,
         "claim_photo_too_large"),
        ({"photos": [("a.png", PNG, "image/png")] * 4}, 422, "claim_too_many_photos"),
        ({"content": "  "}, 422, "invalid_claim"),
        ({"ended_at": activity["starts_at"]}, 422, "claim_invalid_times"),
        ({"started_at": activity["starts_at"] - dt.timedelta(days=2),
          "ended_at": activity["ends_at"] - dt.timedelta(days=2)}, 422, "claim_times_outside_activity"),
        ({"organisation_id": world.org.other.id, "place": "别处"}, 422, "claim_target_required"),
        ({"activity_id": 999_999}, 404, "activity_not_found"),
    ]
    for overrides, status, code in cases:
        r = await claim_activity(client, world, activity, **overrides)
        assert (r.status_code, r.json().get("code")) == (status, code), (overrides.keys(), r.text)
    r = await client.post("/api/me/claims", json={"activity_id": activity["id"]}, headers=world.volunteer.headers)
    assert r.status_code == 422 and r.json()["code"] == "claim_invalid_times"  # a JSON body: no times, no photos
    r = await send_claim(client, world.volunteer.headers, organisation_id=987_654, place="某地", content="服务",
                         started_at=activity["starts_at"], ended_at=activity["ends_at"])
    assert r.status_code == 422 and r.json()["code"] == "unknown_organisation"
    assert await _counts(db) == (0, 0, 0)
    assert _stored_files(settings) == files_before
    # Too old: ended 31 days ago (the limit is 30 by default).
    old = await past_activity(client, db, world, hours_ago=31 * 24)
    r = await claim_activity(client, world, old)
    assert r.status_code == 422 and r.json()["code"] == "claim_too_old"
    # A good claim, then the same activity again: refused as a duplicate.
    assert (await claim_activity(client, world, activity)).status_code == 201
    r = await claim_activity(client, world, activity)
    assert r.status_code == 409 and r.json()["code"] == "claim_duplicate"
    # And the organiser recording it by hand now would count it twice: decide the claim instead.
    r = await client.post(f"/api/activities/{activity['id']}/attendance/manual", json={
        "volunteer_id": world.volunteer.volunteer.id, "checked_in_at": activity["starts_at"].isoformat(),
        "checked_out_at": activity["ends_at"].isoformat(), "reason": "补登"}, headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "attendance_claimed"
    # An activity the volunteer already has a record for (the organiser recorded it by hand) is credited already.
    other = await past_activity(client, db, world, hours_ago=5)
    r = await client.post(f"/api/activities/{other['id']}/attendance/manual", json={
        "volunteer_id": world.volunteer.volunteer.id, "checked_in_at": other["starts_at"].isoformat(),
        "checked_out_at": other["ends_at"].isoformat(), "reason": "忘记扫码"}, headers=world.organiser.headers)
    assert r.status_code == 201, r.text
    r = await claim_activity(client, world, other)
    assert r.status_code == 409 and r.json()["code"] == "claim_already_credited"
    zh = await client.post("/api/me/claims", data={"activity_id": str(other["id"]), "content": "x",
                                                   "started_at": other["starts_at"].isoformat(),
                                                   "ended_at": other["ends_at"].isoformat()},
                           headers={**world.volunteer.headers, "Accept-Language": "zh-CN"})
    assert "已有服务记录" in zh.text
    assert (await _counts(db))[:2] == (1, 1)


async def test_a_service_elsewhere_is_decided_by_that_organisation(client, db, world, session) -> None:  # noqa: ANN001
    host = await make_person(session, Role.ORGANISER, community=world.org.other)
    end = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    r = await send_claim(client, world.volunteer.headers, organisation_id=world.org.other.id, place="邻社区活动室",
                         content="协助老年大学课堂", started_at=end - dt.timedelta(hours=1, minutes=30), ended_at=end)
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["community_id"] == world.org.other.id and claim["activity_id"] is None
    # The volunteer's own organiser does not confirm a service elsewhere: deciding outside one's community.
    r = await client.post(f"/api/claims/{claim['id']}/decline", json={"reason": "不认识"},
                          headers=world.organiser.headers)
    assert r.status_code == 404 and r.json()["code"] == "claim_not_found"
    r = await client.post(f"/api/claims/{claim['id']}/decline", json={"reason": " "}, headers=host.headers)
    assert r.status_code == 422 and r.json()["code"] == "claim_reason_required"
    r = await client.post(f"/api/claims/{claim['id']}/decline", json={"reason": "当天没有这项服务"}, headers=host.headers)
    assert r.status_code == 200 and r.json()["status"] == "declined" and r.json()["decision_reason"] == "当天没有这项服务"
    r = await client.post(f"/api/claims/{claim['id']}/approve", json={}, headers=host.headers)
    assert r.status_code == 409 and r.json()["code"] == "claim_already_decided"
    mine = (await client.get("/api/me/claims", headers=world.volunteer.headers)).json()
    assert [(c["id"], c["status"], c["posted_minutes"]) for c in mine] == [(claim["id"], "declined", 0)]
    assert (await _counts(db))[2] == 0
    report = await verify(db)
    assert not report.differs, report.as_dict()
