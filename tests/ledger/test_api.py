"""The ledger API: own account and staff view, transfers within limits, hours rules, spending."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.kernel.db import Database
from servicebank.ledger import transactions as ledger
from servicebank.ledger.models import Account, CommunityLedgerPolicy, Transaction
from tests.factories import make_org, make_person, make_volunteer
from tests.family.helpers import link_family
from tests.ledger.helpers import earn


class TestAccount:
    async def test_volunteer_sees_own_account_staff_of_community_too_others_not(self, db: Database, session,
                                                                                client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        await earn(db, session, me.volunteer, 125)
        response = await client.get(f"/api/volunteers/{me.volunteer.id}/account", headers=me.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["balance"], body["service_minutes"], body["star_level"]) == (120, 120, 0)
        assert body["next_star_level_minutes"] == 6000
        assert body["recent_entries"][0]["kind"] == "service" and body["recent_entries"][0]["amount"] == 120
        organiser = await make_person(session, Role.ORGANISER, community=org.community)
        assert (await client.get(f"/api/volunteers/{me.volunteer.id}/account", headers=organiser.headers)
                ).status_code == 200
        neighbour = await make_person(session, Role.VOLUNTEER, community=org.community)
        response = await client.get(f"/api/volunteers/{me.volunteer.id}/account", headers=neighbour.headers)
        assert (response.status_code, response.json()["code"]) == (403, "staff_required")
        stranger = await make_person(session, Role.ORGANISER, community=org.other)
        response = await client.get(f"/api/volunteers/{me.volunteer.id}/account", headers=stranger.headers)
        assert (response.status_code, response.json()["code"]) == (404, "community_not_found")
        assert (await client.get(f"/api/volunteers/{me.volunteer.id}/account")).status_code == 401
        response = await client.get("/api/volunteers/999999/account", headers=me.headers)
        assert response.json()["code"] == "volunteer_not_found"


async def _giver_and_spouse(db: Database, session, *, earned: int, **policy: int):  # noqa: ANN001, ANN202
    """A volunteer who served `earned` minutes, their linked spouse, and the community's limits."""
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    spouse = await make_volunteer(session, org.community)
    await link_family(session, me.volunteer, spouse, relation="配偶")
    await earn(db, session, me.volunteer, earned)
    session.add(CommunityLedgerPolicy(community_id=org.community.id, **policy))
    await session.commit()
    return org, me, spouse


class TestTransfers:
    async def test_family_transfer_and_pool_donation_within_limits(self, db: Database, session,
                                                                   client) -> None:  # noqa: ANN001
        org, me, spouse = await _giver_and_spouse(db, session, earned=180, max_transfer_per_month=100,
                                                  min_service_minutes_to_spend=120)
        body = {"to_volunteer_id": spouse.id, "relation": "配偶", "amount": 60, "idempotency_key": "k1"}
        response = await client.post("/api/transfers", json=body, headers=me.headers)
        assert response.status_code == 201, response.text
        assert (response.json()["balance"], response.json()["transferred_this_month"]) == (120, 60)
        again = await client.post("/api/transfers", json=body, headers=me.headers)
        assert again.json()["balance"] == 120, "the same idempotency key moves the points once"
        over = await client.post("/api/transfers", json={**body, "idempotency_key": "k2"}, headers=me.headers)
        assert (over.status_code, over.json()["code"]) == (409, "monthly_transfer_limit")
        pool = await client.post("/api/transfers", json={"to_pool_community_id": org.community.id, "amount": 40,
                                                         "idempotency_key": "k3"}, headers=me.headers)
        assert pool.status_code == 201 and pool.json()["kind"] == "donation"
        async with db.session_scope() as s:
            assert (await ledger.pool_account(s, org.community.id)).balance == 40
            assert (await ledger.volunteer_account(s, spouse.id)).balance == 60

    @pytest.mark.postgres_only
    async def test_concurrent_gifts_never_pass_the_monthly_cap(self, db: Database, session,
                                                               client) -> None:  # noqa: ANN001
        # Cap 600, 30 gifts of 50 at once: the cap allows exactly 12, whatever the balance could pay.
        _, me, spouse = await _giver_and_spouse(db, session, earned=720, max_transfer_per_month=600)
        responses = await asyncio.gather(*(client.post(
            "/api/transfers", json={"to_volunteer_id": spouse.id, "amount": 50, "idempotency_key": f"g{n}"},
            headers=me.headers) for n in range(30)))
        assert sorted(r.status_code for r in responses) == [201] * 12 + [409] * 18
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"monthly_transfer_limit"}
        async with db.session_scope() as s:
            assert (await ledger.volunteer_account(s, spouse.id)).balance == 600
            assert (await ledger.volunteer_account(s, me.volunteer.id)).balance == 120

    @pytest.mark.postgres_only
    async def test_simultaneous_gifts_both_ways_between_two_people_all_pass(self, db: Database, session,
                                                                            client) -> None:  # noqa: ANN001
        # Each locks its own account first and then needs the other's: without one lock order, a deadlock.
        org, me, spouse = await _giver_and_spouse(db, session, earned=720)
        partner = await make_person(session, Role.VOLUNTEER, volunteer=spouse)
        await earn(db, session, spouse, 720)
        gifts = [(who, other) for _ in range(10) for who, other in ((me, spouse.id), (partner, me.volunteer.id))]
        responses = await asyncio.gather(*(client.post(
            "/api/transfers", json={"to_volunteer_id": other, "amount": 10, "idempotency_key": f"b{n}"},
            headers=who.headers) for n, (who, other) in enumerate(gifts)))
        assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses if r.status_code != 201]

    @pytest.mark.parametrize(("body", "code", "status"), [
        ({"amount": 10, "idempotency_key": "a"}, "transfer_target_required", 422),
        # No link to an id that does not exist either: the gift form tells nobody who is registered.
        ({"to_volunteer_id": -1, "relation": "子女", "amount": 10, "idempotency_key": "a"}, "family_link_required",
         403),
        ({"to_pool_community_id": 0, "amount": 0, "idempotency_key": "a"}, "community_not_found", 404),
        ({"to_volunteer_id": "SELF", "amount": 10, "idempotency_key": "a"}, "same_account", 422),
        ({"to_volunteer_id": "OTHER", "relation": "配偶", "amount": 10, "idempotency_key": "a"}, "relation_mismatch",
         422),
        ({"to_volunteer_id": "OTHER", "relation": "父母", "amount": 0, "idempotency_key": "a"}, "bad_amount", 422),
        ({"to_volunteer_id": "OTHER", "amount": 500, "idempotency_key": "a"}, "insufficient_balance", 409),
        ({"to_volunteer_id": "OTHER", "amount": 5, "idempotency_key": ""}, "bad_idempotency_key", 422),
    ])
    async def test_bad_transfers_are_refused(self, db: Database, session, client, body, code,  # noqa: ANN001
                                             status) -> None:
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        other = await make_volunteer(session, org.community)
        await link_family(session, me.volunteer, other, relation="父母")
        await earn(db, session, me.volunteer, 60)
        if body.get("to_volunteer_id") == "SELF":
            body = {**body, "to_volunteer_id": me.volunteer.id}
        elif body.get("to_volunteer_id") == "OTHER":
            body = {**body, "to_volunteer_id": other.id}
        response = await client.post("/api/transfers", json=body, headers=me.headers)
        assert (response.status_code, response.json()["code"]) == (status, code), response.text

    async def test_community_rules_can_forbid_giving(self, db: Database, session, client) -> None:  # noqa: ANN001
        org = await make_org(session)
        me = await make_person(session, Role.VOLUNTEER, community=org.community)
        other = await make_volunteer(session, org.community)
        await earn(db, session, me.volunteer, 60)
        organiser = await make_person(session, Role.ORGANISER, community=org.community)
        policy = {"max_transfer_per_month": None, "min_service_minutes_to_spend": 1200,
                  "allow_family_transfers": False, "allow_pool_donations": True}
        put = await client.put(f"/api/communities/{org.community.id}/ledger-policy", json=policy,
                               headers=organiser.headers)
        assert put.status_code == 200, put.text
        refused = await client.put(f"/api/communities/{org.community.id}/ledger-policy", json=policy,
                                   headers=me.headers)
        assert refused.json()["code"] == "organiser_required"
        family = await client.post("/api/transfers", json={"to_volunteer_id": other.id, "relation": "子女",
                                                           "amount": 5, "idempotency_key": "x"}, headers=me.headers)
        assert family.json()["code"] == "family_transfers_disabled"
        donation = await client.post("/api/transfers", json={"to_pool_community_id": org.community.id, "amount": 5,
                                                             "idempotency_key": "y"}, headers=me.headers)
        assert (donation.status_code, donation.json()["code"]) == (403, "service_hours_too_few")


class TestHoursRulesApi:
    async def test_organiser_adds_versions_admin_only_for_defaults(self, db: Database, session,
                                                                   client) -> None:  # noqa: ANN001
        org = await make_org(session)
        organiser = await make_person(session, Role.ORGANISER, community=org.community)
        rule = {"kind": "patrol", "community_id": org.community.id, "multiplier_permille": 1500}
        first = await client.post("/api/hours-rules", json=rule, headers=organiser.headers)
        second = await client.post("/api/hours-rules", json=rule, headers=organiser.headers)
        assert (first.json()["version"], second.json()["version"]) == (1, 2)
        default = await client.post("/api/hours-rules", json={"kind": "patrol"}, headers=organiser.headers)
        assert default.json()["code"] == "admin_required"
        bad = await client.post("/api/hours-rules", json={**rule, "rounding": "sideways"}, headers=organiser.headers)
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_hours_rule")
        listed = await client.get(f"/api/hours-rules?community_id={org.community.id}", headers=organiser.headers)
        assert [r["version"] for r in listed.json()] == [1, 2]


class TestSpend:
    @pytest.mark.postgres_only
    async def test_concurrent_spends_never_take_a_balance_below_zero(self, db: Database, session) -> None:  # noqa: ANN001
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        await earn(db, session, vol, 120)
        async with db.session_scope() as s:
            payer = (await ledger.volunteer_account(s, vol.id)).id
            store = (await ledger.store_account(s, 1)).id

        async def buy(n: int) -> str:
            try:
                async with db.session_scope() as s:
                    await ledger.spend(s, from_account_id=payer, to_account_id=store, amount=50,
                                       source_key=f"buy:{n}", kind="redemption")
                return "ok"
            except ledger.InsufficientBalance:
                return "refused"

        outcomes = await asyncio.gather(*(buy(n) for n in range(8)))
        assert outcomes.count("ok") == 2 and outcomes.count("refused") == 6
        async with db.session_scope() as s:
            assert await s.scalar(select(Account.balance).where(Account.id == payer)) == 20

    async def test_reverse_mirrors_and_refuses_twice_and_service_postings(self, db: Database, session) -> None:  # noqa: ANN001
        org = await make_org(session)
        vol = await make_volunteer(session, org.community)
        await earn(db, session, vol, 60)
        async with db.session_scope() as s:
            payer = await ledger.volunteer_account(s, vol.id)
            store = await ledger.store_account(s, 7)
            buy = await ledger.spend(s, from_account_id=payer.id, to_account_id=store.id, amount=45,
                                     source_key="r1", kind="redemption")
            refund = await ledger.reverse(s, transaction_id=buy.id, source_key="refund:r1", memo="退货")
            assert refund.reverses_id == buy.id
            assert await ledger.reverse(s, transaction_id=buy.id, source_key="refund:r1") is refund
            with pytest.raises(ledger.Conflict) as twice:
                await ledger.reverse(s, transaction_id=buy.id, source_key="refund:again")
            assert twice.value.code == "already_reversed"
            with pytest.raises(ledger.Conflict) as service:
                service_id = await s.scalar(select(Transaction.id).where(Transaction.kind == "service"))
                await ledger.reverse(s, transaction_id=service_id, source_key="nope")
            assert service.value.code == "service_posting_not_reversible"
            with pytest.raises(ledger.InvalidInput) as unbalanced:
                await ledger.post_transaction(s, source_key="bad", kind="manual", entries=[(payer.id, 5)])
            assert unbalanced.value.code == "unbalanced_transaction"
            await s.refresh(payer)
            assert payer.balance == 60
