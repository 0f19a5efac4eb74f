"""A community with one of every kind of record, for the export, the 志愿服务记录表 and the 台账 tests: an attendance,
an approved claim of an activity, an approved claim of a service elsewhere (by a volunteer of the neighbouring
community), a claim corrected on request (reversal plus new posting), a pending and a declined claim (which never
count), a resident's request served and rated, and a training."""

from __future__ import annotations

import dataclasses
import datetime as dt

from servicebank.activities.kinds import ensure_builtin_kinds
from servicebank.kernel import events
from tests.activities.conftest import World
from tests.records.claim_helpers import claim_activity, iso, past_activity, send_claim
from tests.requests.support import Street, make_street
from tests.requests.test_ratings_received import _served_and_rated


@dataclasses.dataclass
class Scenario:
    street: Street
    world: World  # the same community seen as the activities tests see it (volunteer: the helper)
    activity_titles: list[str]
    corrected_claim_id: int


async def _approved(client, world: World, claim_id: int, reason: str = "有照片为证") -> dict:  # noqa: ANN001
    r = await client.post(f"/api/claims/{claim_id}/approve", json={"reason": reason}, headers=world.organiser.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def build(client, db, session) -> Scenario:  # noqa: ANN001
    """Every kind of record for `street.helper` (and one for `street.outsider`), events drained."""
    street = await make_street(session)
    await ensure_builtin_kinds(session)
    await session.commit()
    world = World(org=street.org, organiser=street.organiser, volunteer=street.helper)
    attended = await past_activity(client, db, world, hours_ago=3)
    r = await client.post(f"/api/activities/{attended['id']}/attendance/manual", json={
        "volunteer_id": street.helper.volunteer.id, "checked_in_at": iso(attended["starts_at"]),
        "checked_out_at": iso(attended["ends_at"]), "reason": "签到表"}, headers=street.organiser.headers)
    assert r.status_code == 201, r.text
    claimed = await past_activity(client, db, world, hours_ago=2)
    await _approved(client, world, (await claim_activity(client, world, claimed)).json()["id"])
    corrected = await past_activity(client, db, world, hours_ago=1)
    claim = await _approved(client, world, (await claim_activity(client, world, corrected)).json()["id"])
    r = await client.post("/api/me/corrections", json={
        "claim_id": claim["id"], "started_at": iso(corrected["starts_at"] + dt.timedelta(minutes=60)),
        "ended_at": iso(corrected["ends_at"]), "reason": "只服务了一个小时"}, headers=street.helper.headers)
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/corrections/{r.json()['id']}/accept", json={"reason": "已核对"},
                          headers=street.organiser.headers)
    assert r.status_code == 200, r.text
    waiting = await past_activity(client, db, world, hours_ago=1)
    assert (await claim_activity(client, world, waiting)).status_code == 201  # pending: never counts
    refused = await past_activity(client, db, world, hours_ago=1)
    refused_id = (await claim_activity(client, world, refused)).json()["id"]
    r = await client.post(f"/api/claims/{refused_id}/decline", json={"reason": "当天不在场"},
                          headers=street.organiser.headers)
    assert r.status_code == 200, r.text
    end = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    r = await send_claim(client, street.outsider.headers, organisation_id=street.org.community.id, place="社区广场",
                         content="协助义诊排队", started_at=end - dt.timedelta(minutes=90), ended_at=end)
    assert r.status_code == 201, r.text
    await _approved(client, world, r.json()["id"], reason="有合影")
    await _served_and_rated(client, db, street, 5, ["耐心"])
    r = await client.post(f"/api/volunteers/{street.helper.volunteer.id}/trainings", json={
        "category": "pre_service", "title": "助老服务岗前培训", "provider": "街道社工站",
        "trained_on": dt.date.today().isoformat(), "minutes": 90}, headers=street.organiser.headers)
    assert r.status_code == 201, r.text
    await events.drain(db)
    return Scenario(street, world, [attended["title"], claimed["title"], corrected["title"]], claim["id"])
