"""代签 without the card: the lookup a leader sees, the check-in by volunteer id (same rules as a card), the
places a walk-in takes, and an organiser signing a walk-in in over the limit."""

from __future__ import annotations

from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.accounts.sessions import load_principal
from servicebank.audit.models import AuditEntry
from servicebank.checkins import tokens
from servicebank.checkins.proxy_lookup import find_for_proxy, mask_phone
from tests.checkins.helpers import attendance_count, code, scan, scene
from tests.factories import make_person, make_team, make_volunteer

CHECK_INS = "/api/check-ins"
CHECK_OUTS = "/api/check-outs"


async def _found(session, person, activity_id: int, query: str) -> list[str]:  # noqa: ANN001
    principal = await load_principal(session, person.user)
    return [c.name for c in await find_for_proxy(session, activity_id=activity_id, principal=principal, query=query)]


async def test_a_leader_finds_only_her_teams_members_by_name_phone_ending_or_number(session) -> None:
    s = await scene(session)
    mine = await make_volunteer(session, s.org.community, name="孙桂兰", phone="13812341234")
    team = await make_team(session, s.org.community, members=[mine])
    leader = await make_person(session, Role.TEAM_LEADER, community=s.org.community, team=team)
    await make_volunteer(session, s.org.community, name="孙大爷", phone="13900001234")  # in no team of hers
    await make_volunteer(session, s.org.other, name="孙阿姨")  # another community
    assert await _found(session, leader, s.activity.id, "孙") == ["孙桂兰"]
    assert await _found(session, leader, s.activity.id, "1234") == ["孙桂兰"]
    assert await _found(session, leader, s.activity.id, mine.number) == ["孙桂兰"]
    assert await _found(session, leader, s.activity.id, "%") == []  # typed text, not a pattern
    assert await _found(session, leader, s.activity.id, "") == []
    # The organiser finds the community's volunteers, never another community's.
    assert sorted(await _found(session, s.organiser, s.activity.id, "孙")) == ["孙大爷", "孙桂兰"]
    principal = await load_principal(session, leader.user)
    [candidate] = await find_for_proxy(session, activity_id=s.activity.id, principal=principal, query="孙")
    assert candidate.phone_masked == "138****1234" and candidate.attendance_status is None
    assert mask_phone("13812341234") == "138****1234"


async def test_check_in_by_volunteer_id_keeps_the_card_rules(client, session, settings, db) -> None:
    s = await scene(session)
    other_team = await make_team(session, s.org.community)
    other_leader = await make_person(session, Role.TEAM_LEADER, community=s.org.community, team=other_team)
    volunteer_id = s.volunteer.volunteer.id
    refused = await scan(client, CHECK_INS, code(settings, s.activity.id), other_leader, volunteer_id=volunteer_id)
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_volunteer"
    outsider = await make_volunteer(session, s.org.other)
    unknown = await scan(client, CHECK_INS, code(settings, s.activity.id), s.leader, volunteer_id=outsider.id)
    assert unknown.status_code == 404 and unknown.json()["code"] == "volunteer_not_found"
    assert await attendance_count(db) == 0
    signed = await scan(client, CHECK_INS, code(settings, s.activity.id), s.leader, volunteer_id=volunteer_id)
    assert signed.status_code == 201, signed.text
    assert signed.json()["attendance"]["flags"] == ["proxy_check_in"]
    assert signed.json()["attendance"]["proxy_by_user_id"] == s.leader.user.id
    out = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), s.leader,
                     volunteer_id=volunteer_id)
    assert out.status_code == 201 and out.json()["attendance"]["flags"] == ["proxy_check_in", "proxy_check_out"]
    async with db.session_scope() as db_session:
        actions = (await db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions == ["attendance.proxy_check_in", "attendance.proxy_check_out"]


async def test_a_walk_in_who_left_gives_the_place_back(client, session, settings) -> None:
    # Capacity 2: the confirmed volunteer holds one place, a walk-in on site the other.
    s = await scene(session, capacity=2)
    first, second = [await make_person(session, Role.VOLUNTEER, community=s.org.community) for _ in range(2)]
    assert (await scan(client, CHECK_INS, code(settings, s.activity.id), first)).status_code == 201
    full = await scan(client, CHECK_INS, code(settings, s.activity.id), second)
    assert full.status_code == 409 and full.json()["code"] == "activity_full"
    left = await scan(client, CHECK_OUTS, code(settings, s.activity.id, tokens.CHECK_OUT), first)
    assert left.status_code == 201
    admitted = await scan(client, CHECK_INS, code(settings, s.activity.id), second)
    assert admitted.status_code == 201, admitted.text
    # The confirmed place stays held although its volunteer never came: a third walk-in is refused.
    third = await make_person(session, Role.VOLUNTEER, community=s.org.community)
    assert (await scan(client, CHECK_INS, code(settings, s.activity.id), third)).json()["code"] == "activity_full"


async def test_only_an_organiser_signs_a_walk_in_in_over_the_limit(client, session, settings, db) -> None:
    s = await scene(session, capacity=1)  # the confirmed volunteer fills it
    walker = await make_volunteer(session, s.org.community, name="周大爷")
    team = await make_team(session, s.org.community, members=[walker])
    leader = await make_person(session, Role.TEAM_LEADER, community=s.org.community, team=team)
    token = code(settings, s.activity.id)
    for person in (leader, s.organiser):
        plain = await scan(client, CHECK_INS, token, person, volunteer_id=walker.id)
        assert plain.status_code == 409 and plain.json()["code"] == "activity_full"
    asked = await scan(client, CHECK_INS, token, leader, volunteer_id=walker.id, over_capacity=True)
    assert asked.status_code == 409 and asked.json()["code"] == "activity_full"
    assert "organiser" in asked.json()["detail"]
    assert await attendance_count(db) == 0
    own = await scan(client, CHECK_INS, token, s.volunteer, over_capacity=True)
    assert own.status_code == 422 and own.json()["code"] == "invalid_input"
    done = await scan(client, CHECK_INS, token, s.organiser, volunteer_id=walker.id, over_capacity=True)
    assert done.status_code == 201, done.text
    assert done.json()["attendance"]["flags"] == ["walk_in", "over_capacity", "proxy_check_in"]
    async with db.session_scope() as db_session:
        entry = (await db_session.scalars(select(AuditEntry))).one()
    assert entry.action == "attendance.proxy_check_in" and entry.actor_user_id == s.organiser.user.id
    assert entry.after["over_capacity"] is True and entry.reason
