"""代签: staff scan a volunteer's personal card to sign them in or out; cards are revocable."""

from __future__ import annotations

from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.checkins import tokens
from tests.checkins.helpers import attendance_count, card, code, scan, scene
from tests.factories import make_person, make_team

CHECK_INS = "/api/check-ins"
CHECK_OUTS = "/api/check-outs"


async def _audit_actions(db) -> list[tuple[str, int | None]]:  # noqa: ANN001
    async with db.session_scope() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        return [(r.action, r.actor_user_id) for r in rows]


async def test_team_leader_signs_a_volunteer_in_and_out_with_their_card(client, session, settings, db) -> None:
    s = await scene(session)
    volunteer_card = card(settings, s.volunteer.volunteer.id)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), s.leader, volunteer_card=volunteer_card)
    assert response.status_code == 201, response.text
    att = response.json()["attendance"]
    assert att["volunteer_id"] == s.volunteer.volunteer.id
    assert att["proxy_by_user_id"] == s.leader.user.id and att["flags"] == ["proxy_check_in"]
    out = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.organiser,
                     volunteer_card=volunteer_card)
    assert out.status_code == 201
    assert out.json()["attendance"]["checkout_proxy_by_user_id"] == s.organiser.user.id
    assert out.json()["attendance"]["flags"] == ["proxy_check_in", "proxy_check_out"]
    assert await _audit_actions(db) == [("attendance.proxy_check_in", s.leader.user.id),
                                        ("attendance.proxy_check_out", s.organiser.user.id)]


async def test_reissued_card_revokes_the_old_one(client, session, settings) -> None:
    s = await scene(session)
    old_card = card(settings, s.volunteer.volunteer.id, version=1)
    reissued = await client.post(f"/api/volunteers/{s.volunteer.volunteer.id}/qr-card/reissue",
                                 json={"reason": "card lost"}, headers=s.organiser.headers)
    assert reissued.status_code == 200, reissued.text
    assert reissued.json()["card_version"] == 2
    refused = await scan(client, CHECK_INS, code(settings, s.activity.id), s.leader, volunteer_card=old_card)
    assert refused.status_code == 403 and refused.json()["code"] == "card_revoked"
    accepted = await scan(client, CHECK_INS, code(settings, s.activity.id), s.leader,
                          volunteer_card=reissued.json()["token"])
    assert accepted.status_code == 201


async def test_only_organisers_reissue_cards(client, session) -> None:
    s = await scene(session)
    path = f"/api/volunteers/{s.volunteer.volunteer.id}/qr-card/reissue"
    leader = await client.post(path, json={"reason": "card lost"}, headers=s.leader.headers)
    assert leader.status_code == 403 and leader.json()["code"] == "organiser_required"
    no_reason = await client.post(path, json={}, headers=s.organiser.headers)
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "invalid_input"


async def test_card_of_a_volunteer_from_another_community_is_refused(client, session, settings, db) -> None:
    s = await scene(session)
    outsider = await make_person(session, Role.VOLUNTEER, community=s.org.other)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), s.leader,
                          volunteer_card=card(settings, outsider.volunteer.id))
    assert response.status_code == 403 and response.json()["code"] == "card_other_community"
    assert await attendance_count(db) == 0


async def test_forged_card_is_refused(client, session, settings) -> None:
    s = await scene(session)
    genuine = card(settings, s.volunteer.volunteer.id)
    body, _, signature = genuine.rpartition(".")
    for forged in (f"v.{s.volunteer.volunteer.id + 1}.1.{signature}", f"{body}.{signature[::-1]}", "v.1.1",
                   code(settings, s.activity.id)):
        response = await scan(client, CHECK_INS, code(settings, s.activity.id), s.leader, volunteer_card=forged)
        assert response.status_code == 400 and response.json()["code"] == "card_invalid", forged


async def test_volunteers_cannot_sign_others_in(client, session, settings) -> None:
    s = await scene(session)
    peer = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), peer,
                          volunteer_card=card(settings, s.volunteer.volunteer.id))
    assert response.status_code == 403 and response.json()["code"] == "staff_required"
    stranger = await make_person(session, Role.ORGANISER, community=s.org.other)
    response = await scan(client, CHECK_INS, code(settings, s.activity.id), stranger,
                          volunteer_card=card(settings, s.volunteer.volunteer.id))
    assert response.status_code == 404 and response.json()["code"] == "community_not_found"


async def test_card_images_and_who_may_see_them(client, session, settings) -> None:
    s = await scene(session)
    path = f"/api/volunteers/{s.volunteer.volunteer.id}/qr-card"
    own = await client.get(path, headers=s.volunteer.headers)
    assert own.status_code == 200 and own.json()["token"] == card(settings, s.volunteer.volunteer.id)
    svg = await client.get(f"{path}?format=svg", headers=s.leader.headers)
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    png = await client.get(f"{path}?format=png", headers=s.organiser.headers)
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    peer = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    hidden = await client.get(path, headers=peer.headers)
    assert hidden.status_code == 403


async def test_only_leaders_of_the_volunteers_teams_sign_them_in_by_card(client, session, settings, db) -> None:
    s = await scene(session)
    other_team = await make_team(session, s.org.community)
    other_leader = await make_person(session, Role.TEAM_LEADER, community=s.org.community, team=other_team)
    volunteer_card = card(settings, s.volunteer.volunteer.id)
    refused = await scan(client, CHECK_INS, code(settings, s.activity.id), other_leader, volunteer_card=volunteer_card)
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_volunteer"
    assert await attendance_count(db) == 0
    # An organiser of the community may, whatever the team (tested above for the volunteer's own leader).
    accepted = await scan(client, CHECK_INS, code(settings, s.activity.id), s.organiser, volunteer_card=volunteer_card)
    assert accepted.status_code == 201, accepted.text


async def test_a_card_is_shown_only_to_its_volunteer_their_leaders_and_organisers(client, session) -> None:
    s = await scene(session)
    other_team = await make_team(session, s.org.community)
    other_leader = await make_person(session, Role.TEAM_LEADER, community=s.org.community, team=other_team)
    path = f"/api/volunteers/{s.volunteer.volunteer.id}/qr-card"
    for person in (s.volunteer, s.leader, s.organiser):
        assert (await client.get(path, headers=person.headers)).status_code == 200
    refused = await client.get(path, headers=other_leader.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_volunteer"
    assert "token" not in refused.text
    image = await client.get(path + "?format=svg", headers=other_leader.headers)
    assert image.status_code == 403
    page = await client.get(f"/manage/volunteers/{s.volunteer.volunteer.id}/card", headers=other_leader.headers)
    assert page.status_code == 403
