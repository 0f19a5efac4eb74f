"""Family links: gifts go only along a confirmed link; volunteers ask and confirm, organisers record for those
without phones (audited) within their own communities, nobody can probe who is registered or learn a name before
the other side confirms, ended links stay as history."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.family.models import FamilyLink
from servicebank.kernel.db import Database
from servicebank.ledger import transactions as ledger
from servicebank.ledger.models import Transaction, TransferRecord
from servicebank.ledger.verify import verify
from tests.factories import make_org, make_person, make_volunteer
from tests.ledger.helpers import attend, make_activity, settle


async def _earn(db: Database, session, volunteer, minutes: int = 120) -> None:  # noqa: ANN001
    from servicebank.org.models import Community

    activity = await make_activity(session, await session.get(Community, volunteer.community_id))
    await attend(session, activity, volunteer, minutes=minutes)
    await settle(db)


def _ask(volunteer, relation: str = "父母", last4: str | None = None) -> dict:  # noqa: ANN001
    return {"volunteer_number": volunteer.number.lower(), "phone_last4": last4 or volunteer.phone[-4:],
            "relation": relation}


async def _request(db: Database, client, asker, target, relation: str = "父母") -> int:  # noqa: ANN001
    """Ask as `asker` for `target` (a Volunteer); the id of the link made, read from the database (the asker's
    answer never carries it)."""
    asked = await client.post("/api/family-links", json=_ask(target, relation), headers=asker.headers)
    assert asked.status_code == 202, asked.text
    async with db.session_scope() as s:
        return await s.scalar(select(FamilyLink.id).where(FamilyLink.volunteer_id == asker.volunteer.id,
                                                          FamilyLink.relative_id == target.id)
                              .order_by(FamilyLink.id.desc()).limit(1))


async def _give(client, giver, receiver, amount: int = 30, key: str = "gift-1", **extra) -> object:  # noqa: ANN001
    return await client.post("/api/transfers", json={"to_volunteer_id": receiver.id, "amount": amount,
                                                     "idempotency_key": key, **extra}, headers=giver.headers)


async def _balance(db: Database, volunteer_id: int) -> int:
    async with db.session_scope() as s:
        return (await ledger.volunteer_account(s, volunteer_id)).balance


class TestTransfersNeedAConfirmedLink:
    async def test_a_stated_relation_alone_moves_nothing(self, db: Database, session, client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        stranger = await make_volunteer(session, org.community)
        await _earn(db, session, me.volunteer)
        refused = await _give(client, me, stranger, relation="配偶")
        assert (refused.status_code, refused.json()["code"]) == (403, "family_link_required")
        assert "confirm the link on their page" in refused.json()["detail"]
        assert (await _balance(db, me.volunteer.id), await _balance(db, stranger.id)) == (120, 0)
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(TransferRecord)) == 0
            assert await s.scalar(select(func.count()).where(Transaction.kind == "transfer")) == 0
        assert (await verify(db)).ok

    async def test_request_confirm_give_records_the_links_relation(self, db: Database, session,
                                                                    client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        # Families live apart: the mother is a volunteer of the neighbouring community.
        mother = await make_person(session, Role.VOLUNTEER, community=org.other)
        await _earn(db, session, me.volunteer)
        link_id = await _request(db, client, me, mother.volunteer, "父母")
        assert (await client.get("/api/family-links", headers=me.headers)).json() == [], \
            "before she confirms, the asker's list does not say the number and phone matched"
        assert (await _give(client, me, mother.volunteer)).json()["code"] == "family_link_required"
        own = await client.post(f"/api/family-links/{link_id}/confirm", headers=me.headers)
        assert (own.status_code, own.json()["code"]) == (404, "family_link_not_found")
        hers = (await client.get("/api/family-links", headers=mother.headers)).json()
        assert [(x["id"], x["relation_to_me"], x["waiting_for_me"], x["other_name"]) for x in hers] == [
            (link_id, "子女", True, me.volunteer.real_name)]
        confirmed = await client.post(f"/api/family-links/{link_id}/confirm", headers=mother.headers)
        assert confirmed.status_code == 200, confirmed.text
        assert (confirmed.json()["status"], confirmed.json()["confirmed_by_organiser"]) == ("confirmed", False)
        mine = (await client.get("/api/family-links", headers=me.headers)).json()
        assert [(x["id"], x["relation_to_me"], x["other_name"]) for x in mine] == [
            (link_id, "父母", mother.volunteer.real_name)], "confirmed: now the asker sees who it is"
        given = await _give(client, me, mother.volunteer, amount=30)
        assert given.status_code == 201, given.text
        back = await _give(client, mother, me.volunteer, amount=0, key="back", relation="子女")
        assert back.json()["code"] == "bad_amount", "from her side the relation is 子女: no mismatch"
        async with db.session_scope() as s:
            assert await s.scalar(select(TransferRecord.relation)) == "父母"
        assert (await _balance(db, me.volunteer.id), await _balance(db, mother.volunteer.id)) == (90, 30)
        assert (await verify(db)).ok

    async def test_relation_different_from_the_link_is_refused(self, db: Database, session,
                                                               client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        son = await make_person(session, Role.VOLUNTEER, community=org.community)
        await _earn(db, session, me.volunteer)
        link_id = await _request(db, client, me, son.volunteer, "子女")
        await client.post(f"/api/family-links/{link_id}/confirm", headers=son.headers)
        wrong = await _give(client, me, son.volunteer, relation="配偶")
        assert (wrong.status_code, wrong.json()["code"]) == (422, "relation_mismatch")
        assert wrong.json()["expected"] == "子女"
        assert await _balance(db, son.volunteer.id) == 0


class TestEndingLinks:
    async def test_decline_keeps_the_row_and_the_pair_may_ask_again(self, db: Database, session,
                                                                    client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        other = await make_person(session, Role.VOLUNTEER, community=org.community)
        link_id = await _request(db, client, me, other.volunteer)
        mine = await client.post(f"/api/family-links/{link_id}/decline", headers=me.headers)
        assert mine.json()["code"] == "family_link_not_found", "the asker cannot even see the unconfirmed request"
        declined = await client.post(f"/api/family-links/{link_id}/decline", headers=other.headers)
        assert declined.json()["status"] == "declined", declined.text
        late = await client.post(f"/api/family-links/{link_id}/confirm", headers=other.headers)
        assert (late.status_code, late.json()["code"]) == (409, "family_link_not_waiting")
        assert (await _give(client, me, other.volunteer)).json()["code"] == "family_link_required"
        assert (await client.get("/api/family-links", headers=me.headers)).json() == []
        again = await client.post("/api/family-links", json=_ask(other.volunteer), headers=me.headers)
        assert again.status_code == 202, again.text
        async with db.session_scope() as s:
            rows = (await s.scalars(select(FamilyLink).order_by(FamilyLink.id))).all()
            assert [(r.status, r.ended_by_user_id) for r in rows] == [("declined", other.user.id), ("requested", None)]

    async def test_revoke_stops_later_gifts_and_keeps_who_and_when(self, db: Database, session,
                                                                   client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        wife = await make_person(session, Role.VOLUNTEER, community=org.community)
        await _earn(db, session, me.volunteer)
        link = {"id": await _request(db, client, me, wife.volunteer, "配偶")}
        await client.post(f"/api/family-links/{link['id']}/confirm", headers=wife.headers)
        assert (await _give(client, me, wife.volunteer, key="before")).status_code == 201
        revoked = await client.post(f"/api/family-links/{link['id']}/revoke", headers=wife.headers)
        assert revoked.json()["status"] == "revoked", revoked.text
        after = await _give(client, me, wife.volunteer, key="after")
        assert (after.status_code, after.json()["code"]) == (403, "family_link_required")
        twice = await client.post(f"/api/family-links/{link['id']}/revoke", headers=me.headers)
        assert twice.json()["code"] == "family_link_ended"
        async with db.session_scope() as s:
            row = await s.get(FamilyLink, link["id"])
            assert (row.status, row.ended_by_user_id, row.open_pair) == ("revoked", wife.user.id, None)
            assert row.ended_at is not None
        assert (await _balance(db, me.volunteer.id), await _balance(db, wife.volunteer.id)) == (90, 30)
        assert (await verify(db)).ok


class TestNoProbing:
    async def test_right_and_wrong_phone_digits_get_the_same_answer(self, db: Database, session,
                                                                    client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        other = await make_volunteer(session, org.other, phone="13912345678")
        right = await client.post("/api/family-links", json=_ask(other), headers=me.headers)
        wrong_phone = await client.post("/api/family-links", json=_ask(other, last4="0000"), headers=me.headers)
        unknown = await client.post("/api/family-links", json={**_ask(other), "volunteer_number": "ZZ-999999"},
                                    headers=me.headers)
        again = await client.post("/api/family-links", json=_ask(other), headers=me.headers)
        assert right.status_code == wrong_phone.status_code == unknown.status_code == again.status_code == 202
        assert right.json() == wrong_phone.json() == unknown.json() == again.json()
        assert set(right.json()) == {"status", "message"} and other.real_name not in right.text
        assert (await client.get("/api/family-links", headers=me.headers)).json() == []
        async with db.session_scope() as s:
            assert (await s.scalars(select(FamilyLink.relative_id))).all() == [other.id], \
                "only the matching request is kept, once"
        bad = await client.post("/api/family-links", json=_ask(other, last4="56"), headers=me.headers)
        assert bad.json()["code"] == "invalid_phone_last4"
        odd = await client.post("/api/family-links", json=_ask(other, relation="朋友"), headers=me.headers)
        assert odd.json()["code"] == "invalid_relation"
        self_link = await client.post("/api/family-links", json=_ask(me.volunteer, last4="0000"), headers=me.headers)
        assert self_link.json()["code"] == "family_link_self"

    async def test_a_pending_self_registration_cannot_ask(self, db: Database, session,
                                                          client) -> None:  # noqa: ANN001
        org = await make_org(session)
        throwaway = await make_person(session, Role.VOLUNTEER, community=org.community,
                                      volunteer=await make_volunteer(session, org.community, status="pending"))
        target = await make_volunteer(session, org.other)
        refused = await client.post("/api/family-links", json=_ask(target), headers=throwaway.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "volunteer_not_active")
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(FamilyLink)) == 0

    async def test_trying_many_numbers_is_stopped(self, db: Database, session, client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        others = [await make_volunteer(session, org.community) for _ in range(3)]
        statuses = [(await client.post("/api/family-links", json=_ask(others[n % 3], last4=f"{n:04d}"),
                                       headers=me.headers)).status_code for n in range(11)]
        assert statuses[:10] == [202] * 10 and statuses[10] == 429

    async def test_many_askers_cannot_try_one_volunteers_phone(self, db: Database, session,
                                                               client) -> None:  # noqa: ANN001
        org = await make_org(session)
        target = await make_volunteer(session, org.other, phone="13911112222")
        askers = [await make_person(session, Role.VOLUNTEER, community=org.community) for _ in range(6)]
        answers = [await client.post("/api/family-links", json=_ask(target, last4=f"{n:04d}"), headers=a.headers)
                   for n, a in enumerate(askers)]
        assert [r.status_code for r in answers] == [202] * 5 + [429]
        assert answers[5].json()["code"] == "rate_limited" and "Retry-After" in answers[5].headers
        late = await client.post("/api/family-links", json=_ask(target), headers=askers[5].headers)
        assert late.status_code == 429, "the right digits after the limit are refused the same way"

    async def test_one_address_cannot_ask_without_end(self, db: Database, session, client) -> None:  # noqa: ANN001
        org = await make_org(session)
        askers = [await make_person(session, Role.VOLUNTEER, community=org.community) for _ in range(4)]
        targets = [await make_volunteer(session, org.other) for _ in range(7)]
        statuses = [(await client.post("/api/family-links", json=_ask(targets[n % 7], last4="0000"),
                                       headers=askers[n // 10].headers)).status_code for n in range(31)]
        assert statuses[:30] == [202] * 30 and statuses[30] == 429

    async def test_strangers_cannot_touch_a_link(self, db: Database, session, client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        other = await make_person(session, Role.VOLUNTEER, community=org.community)
        stranger = await make_person(session, Role.VOLUNTEER, community=org.community)
        link_id = await _request(db, client, me, other.volunteer)
        for action in ("confirm", "decline", "revoke"):
            response = await client.post(f"/api/family-links/{link_id}/{action}", headers=stranger.headers)
            assert (response.status_code, response.json()["code"]) == (404, "family_link_not_found")
        assert (await client.get("/api/family-links", headers=stranger.headers)).json() == []


class TestDuplicates:
    async def test_one_open_link_per_pair_in_either_direction(self, db: Database, session,
                                                              client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        other = await make_person(session, Role.VOLUNTEER, community=org.community)
        await _request(db, client, me, other.volunteer)
        mine_again = await client.post("/api/family-links", json=_ask(other.volunteer), headers=me.headers)
        theirs = await client.post("/api/family-links", json=_ask(me.volunteer, "子女"), headers=other.headers)
        assert [r.status_code for r in (mine_again, theirs)] == [202, 202]
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(FamilyLink)) == 1
        organiser = await make_person(session, Role.ORGANISER, community=org.community)
        recorded = await client.post(f"/api/communities/{org.community.id}/family-links", headers=organiser.headers,
                                     json={"volunteer_id": me.volunteer.id, "relative_number": other.volunteer.number,
                                           "relation": "父母"})
        assert (recorded.status_code, recorded.json()["code"]) == (409, "family_link_exists")

    async def test_the_same_request_twice_at_once_makes_one_link(self, db: Database, session,
                                                                 client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        other = await make_volunteer(session, org.other)
        answers = await asyncio.gather(*[client.post("/api/family-links", json=_ask(other), headers=me.headers)
                                         for _ in range(4)])
        assert [r.status_code for r in answers] == [202] * 4
        assert len({r.text for r in answers}) == 1
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(FamilyLink)) == 1


class TestOrganisers:
    async def test_a_link_across_communities_needs_an_organiser_of_both(self, db: Database, session,
                                                                        client) -> None:  # noqa: ANN001
        org = await make_org(session)
        grandma = await make_volunteer(session, org.community, name="王秀英")  # no phone login
        grandson = await make_person(session, Role.VOLUNTEER, community=org.other)
        body = {"volunteer_id": grandma.id, "relative_number": grandson.volunteer.number,
                "relation": "孙子女/外孙子女", "note": "已核对户口本"}
        organiser = await make_person(session, Role.ORGANISER, community=org.community)
        refused = await client.post(f"/api/communities/{org.community.id}/family-links", headers=organiser.headers,
                                    json=body)
        unknown = await client.post(f"/api/communities/{org.community.id}/family-links", headers=organiser.headers,
                                    json={**body, "relative_number": "ZZ-999999"})
        assert (refused.status_code, refused.json()["code"]) == (404, "family_member_not_found")
        assert refused.json() == unknown.json(), "the grandson's community is out of reach: as if unknown"
        assert grandson.volunteer.real_name not in refused.text
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(FamilyLink)) == 0
        # The street admin manages both communities and may record it.
        street = await make_person(session, Role.STREET_ADMIN, street=org.street)
        recorded = await client.post(f"/api/communities/{org.community.id}/family-links", headers=street.headers,
                                     json=body)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["relative_name"] == grandson.volunteer.real_name

    async def test_organiser_records_a_link_for_an_elderly_volunteer_audited(self, db: Database, session,
                                                                            client) -> None:  # noqa: ANN001
        org = await make_org(session)
        grandma = await make_volunteer(session, org.community, name="王秀英")  # no phone login
        grandson = await make_person(session, Role.VOLUNTEER, community=org.community)
        await _earn(db, session, grandson.volunteer)
        organiser = await make_person(session, Role.ORGANISER, community=org.community)
        recorded = await client.post(
            f"/api/communities/{org.community.id}/family-links", headers=organiser.headers,
            json={"volunteer_id": grandma.id, "relative_number": grandson.volunteer.number,
                  "relation": "孙子女/外孙子女", "note": "已核对户口本"})
        assert recorded.status_code == 201, recorded.text
        body = recorded.json()
        assert (body["status"], body["confirmed_by_organiser"], body["relative_name"]) == (
            "confirmed", True, grandson.volunteer.real_name)
        gift = await _give(client, grandson, grandma, amount=40)
        assert gift.status_code == 201, gift.text
        async with db.session_scope() as s:
            assert await s.scalar(select(TransferRecord.relation)) == "祖父母/外祖父母"
            audit = (await s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "family_link"))).all()
            assert [(a.action, a.actor_user_id, a.community_id, a.reason) for a in audit] == [
                ("family_link.record", organiser.user.id, org.community.id, "已核对户口本")]
            assert audit[0].after["status"] == "confirmed"
        listed = await client.get(f"/api/communities/{org.community.id}/family-links?status=confirmed",
                                  headers=organiser.headers)
        assert [x["id"] for x in listed.json()] == [body["id"]]
        revoked = await client.post(f"/api/family-links/{body['id']}/revoke", headers=organiser.headers,
                                    json={"reason": "家属要求解除"})
        assert revoked.json()["status"] == "revoked"
        async with db.session_scope() as s:
            actions = (await s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "family_link")
                                       .order_by(AuditEntry.id))).all()
            assert actions == ["family_link.record", "family_link.revoke"]

    async def test_organiser_confirms_a_waiting_request_for_someone_without_a_phone(self, db: Database, session,
                                                                                    client) -> None:  # noqa: ANN001
        org = await make_org(session)
        son = await make_person(session, Role.VOLUNTEER, community=org.other)
        father = await make_volunteer(session, org.community)
        link_id = await _request(db, client, son, father, "父母")
        organiser = await make_person(session, Role.ORGANISER, community=org.community)
        waiting = await client.get(f"/api/communities/{org.community.id}/family-links", headers=organiser.headers)
        assert [x["id"] for x in waiting.json()] == [link_id], "the asked side's organiser sees the request at once"
        # The son's organiser learns nothing before the father's side confirms.
        sons = await make_person(session, Role.ORGANISER, community=org.other)
        assert (await client.get(f"/api/communities/{org.other.id}/family-links", headers=sons.headers)).json() == []
        early = await client.post(f"/api/family-links/{link_id}/confirm", headers=sons.headers)
        assert (early.status_code, early.json()["code"]) == (404, "family_link_not_found")
        confirmed = await client.post(f"/api/family-links/{link_id}/confirm", headers=organiser.headers)
        assert (confirmed.json()["status"], confirmed.json()["confirmed_by_organiser"]) == ("confirmed", True)
        async with db.session_scope() as s:
            assert await s.scalar(select(AuditEntry.action).where(AuditEntry.entity_id == str(link_id))) == \
                "family_link.confirm"
        assert [x["id"] for x in (await client.get(f"/api/communities/{org.other.id}/family-links",
                                                   headers=sons.headers)).json()] == [link_id]

    async def test_organiser_of_another_community_is_refused(self, db: Database, session,
                                                             client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        neighbour = await make_volunteer(session, org.community)
        outsider = await make_person(session, Role.ORGANISER, community=org.other)
        body = {"volunteer_id": me.volunteer.id, "relative_number": neighbour.number, "relation": "配偶"}
        there = await client.post(f"/api/communities/{org.community.id}/family-links", json=body,
                                  headers=outsider.headers)
        assert (there.status_code, there.json()["code"]) == (404, "community_not_found")
        own_path = await client.post(f"/api/communities/{org.other.id}/family-links", json=body,
                                     headers=outsider.headers)
        assert (own_path.status_code, own_path.json()["code"]) == (404, "volunteer_not_found")
        link_id = await _request(db, client, me, neighbour, "配偶")
        for action in ("confirm", "revoke"):
            response = await client.post(f"/api/family-links/{link_id}/{action}", headers=outsider.headers)
            assert (response.status_code, response.json()["code"]) == (404, "family_link_not_found")
        listed = await client.get(f"/api/communities/{org.community.id}/family-links", headers=outsider.headers)
        assert listed.json()["code"] == "community_not_found"
        member = await client.get(f"/api/communities/{org.community.id}/family-links", headers=me.headers)
        assert member.json()["code"] == "organiser_required"
        async with db.session_scope() as s:
            assert (await s.get(FamilyLink, link_id)).status == "requested"

    async def test_an_organiser_cannot_record_their_own_family(self, db: Database, session,
                                                               client) -> None:  # noqa: ANN001
        org = await make_org(session)
        own = await make_volunteer(session, org.community)
        organiser = await make_person(session, Role.ORGANISER, community=org.community, volunteer=own)
        relative = await make_volunteer(session, org.community)
        refused = await client.post(f"/api/communities/{org.community.id}/family-links", headers=organiser.headers,
                                    json={"volunteer_id": own.id, "relative_number": relative.number,
                                          "relation": "配偶"})
        assert (refused.status_code, refused.json()["code"]) == (403, "not_your_family_link")
