"""Organisers register stores, clerks and catalogues; volunteers see their own community's stores."""

from __future__ import annotations

from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from tests.factories import make_org, make_person
from tests.stores.support import fresh_code, make_shop


async def test_organiser_registers_store_and_catalogue(db, session, client) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    created = await client.post("/api/stores", headers=organiser.headers, json={
        "community_id": org.community.id, "name": "和谐爱心超市", "min_service_minutes": 1200})
    assert created.status_code == 201, created.text
    store_id = created.json()["id"]
    item = await client.post(f"/api/stores/{store_id}/items", headers=organiser.headers, json={
        "name": "大米 5kg", "price_points": 120, "unit": "袋", "stock": 40, "monthly_limit": 1})
    assert item.status_code == 201, item.text
    restocked = await client.patch(f"/api/stores/{store_id}/items/{item.json()['id']}", headers=organiser.headers,
                                   json={"restock": 10})
    assert restocked.json()["stock"] == 50
    listed = await client.get("/api/stores", headers=volunteer.headers)
    assert [s["name"] for s in listed.json()] == ["和谐爱心超市"]
    catalogue = await client.get(f"/api/stores/{store_id}/items", headers=volunteer.headers)
    assert [(i["name"], i["price_points"]) for i in catalogue.json()] == [("大米 5kg", 120)]
    async with db.session_scope() as s:
        actions = (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions == ["store.create", "store_item.create", "store_item.update"]


async def test_bad_store_and_item_input(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=0)
    h, cid, sid = shop.organiser.headers, shop.org.community.id, shop.store.id
    cases = [
        ("/api/stores", {"community_id": cid, "name": "和谐爱心超市"}, 409, "duplicate_store_name"),
        ("/api/stores", {"community_id": cid, "name": "X", "kind": "bank"}, 422, "invalid_store_kind"),
        ("/api/stores", {"community_id": cid, "name": "X", "refund_days": -1}, 422, "invalid_refund_days"),
        ("/api/stores", {"community_id": cid, "name": "  "}, 422, "invalid_name"),
        (f"/api/stores/{sid}/items", {"name": "毛巾", "price_points": 0}, 422, "invalid_price"),
        (f"/api/stores/{sid}/items", {"name": "毛巾", "price_points": 5, "stock": -1}, 422, "invalid_stock"),
        (f"/api/stores/{sid}/items", {"name": "毛巾", "price_points": 5, "monthly_limit": 0}, 422,
         "invalid_monthly_limit"),
        (f"/api/stores/{sid}/items", {"name": "食用油", "price_points": 5}, 409, "duplicate_item_name"),
    ]
    for url, body, status, code in cases:
        response = await client.post(url, headers=h, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), (url, body, response.text)
    over = await client.patch(f"/api/stores/{sid}/items/{shop.oil.id}", headers=h, json={"restock": -11})
    assert over.status_code == 409 and over.json()["code"] == "invalid_restock"


async def test_only_organisers_manage_and_outsiders_see_nothing(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=0)
    sid = shop.store.id
    by_clerk = await client.patch(f"/api/stores/{sid}", headers=shop.clerk.headers, json={"refund_days": 30})
    assert by_clerk.status_code == 403
    by_volunteer = await client.post(f"/api/stores/{sid}/items", headers=shop.volunteer.headers,
                                     json={"name": "毛巾", "price_points": 5})
    assert by_volunteer.status_code == 403 and by_volunteer.json()["code"] == "organiser_required"
    stranger = await make_person(session, Role.VOLUNTEER, community=shop.org.other)
    hidden = await client.get(f"/api/stores/{sid}/items", headers=stranger.headers)
    assert hidden.status_code == 404 and hidden.json()["code"] == "store_not_found"
    assert (await client.get("/api/stores", headers=stranger.headers)).json() == []


async def test_clerks_assigned_created_and_removed(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=100)
    sid = shop.store.id
    created = await client.post(f"/api/stores/{sid}/clerks", headers=shop.organiser.headers, json={
        "display_name": "店员小王", "username": "clerk-wang", "password": "a-long-pass-word-9"})
    assert created.status_code == 201, created.text
    existing = await make_person(session, Role.VOLUNTEER, community=shop.org.community)
    assigned = await client.post(f"/api/stores/{sid}/clerks", headers=shop.organiser.headers,
                                 json={"user_id": existing.user.id})
    assert assigned.status_code == 201, assigned.text
    twice = await client.post(f"/api/stores/{sid}/clerks", headers=shop.organiser.headers,
                              json={"user_id": existing.user.id})
    assert twice.status_code == 409 and twice.json()["code"] == "grant_exists"
    clerks = await client.get(f"/api/stores/{sid}/clerks", headers=shop.organiser.headers)
    assert {c["display_name"] for c in clerks.json()} >= {"店员小王", existing.user.display_name}
    # The volunteer now also works the till.
    scan = await client.post(f"/api/stores/{sid}/scan", headers=existing.headers,
                             json={"code": await fresh_code(client, shop.volunteer)})
    assert scan.status_code == 200, scan.text
    removed = await client.delete(f"/api/stores/{sid}/clerks/{existing.user.id}", headers=shop.organiser.headers)
    assert removed.status_code == 204
    scan = await client.post(f"/api/stores/{sid}/scan", headers=existing.headers,
                             json={"code": await fresh_code(client, shop.volunteer)})
    assert scan.status_code == 403 and scan.json()["code"] == "not_store_clerk"


async def test_deleting_a_redeemed_item_withdraws_it(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    sid = shop.store.id
    redeemed = await client.post(f"/api/stores/{sid}/redemptions", headers=shop.clerk.headers, json={
        "code": await fresh_code(client, shop.volunteer), "lines": [{"item_id": shop.oil.id, "quantity": 1}]})
    assert redeemed.status_code == 201
    gone = await client.delete(f"/api/stores/{sid}/items/{shop.oil.id}", headers=shop.organiser.headers)
    assert gone.json() == {"deleted": False}
    fresh = await client.delete(f"/api/stores/{sid}/items/{shop.haircut.id}", headers=shop.organiser.headers)
    assert fresh.json() == {"deleted": True}
    names = [i["name"] for i in (await client.get(f"/api/stores/{sid}/items", headers=shop.volunteer.headers)).json()]
    assert names == ["大米 5kg"]


async def _principal(db, person):  # noqa: ANN001, ANN202
    from servicebank.accounts.models import User
    from servicebank.accounts.sessions import load_principal

    async with db.session_scope() as s:
        return await load_principal(s, await s.get(User, person.user.id))


async def test_clerks_count_goods_in_and_take_stock_concurrently(db, session) -> None:  # noqa: ANN001
    import asyncio

    import pytest

    from servicebank.kernel.errors import DomainError
    from servicebank.stores import catalogue
    from servicebank.stores.models import StoreItem

    shop = await make_shop(session, points=0)
    clerk = await _principal(db, shop.clerk)

    async def goods_in(units: int) -> None:
        async with db.session_scope() as s:
            await catalogue.adjust_stock(s, actor=clerk, store_id=shop.store.id, item_id=shop.oil.id, restock=units)

    # Twenty deliveries at once: none is lost (the same guarded update as the organisers' restock).
    await asyncio.gather(*(goods_in(1) for _ in range(20)))
    async with db.session_scope() as s:
        await catalogue.adjust_stock(s, actor=clerk, store_id=shop.store.id, item_id=shop.rice.id, stock=2)
    for change, code in (({"item_id": shop.haircut.id, "restock": 3}, "stock_not_counted"),
                         ({"item_id": shop.rice.id, "stock": -1}, "invalid_stock"),
                         ({"item_id": shop.rice.id}, "invalid_stock"),
                         ({"item_id": shop.rice.id, "restock": -5}, "invalid_restock")):
        with pytest.raises(DomainError) as refused:
            async with db.session_scope() as s:
                await catalogue.adjust_stock(s, actor=clerk, store_id=shop.store.id, **change)
        assert refused.value.code == code
    volunteer = await _principal(db, shop.volunteer)
    with pytest.raises(DomainError) as outsider:
        async with db.session_scope() as s:
            await catalogue.adjust_stock(s, actor=volunteer, store_id=shop.store.id, item_id=shop.oil.id, restock=1)
    assert outsider.value.code == "not_store_clerk"
    async with db.session_scope() as s:
        stock = dict((await s.execute(select(StoreItem.id, StoreItem.stock))).all())
        audited = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "store_item.update"))).all()
    assert stock[shop.oil.id] == 30 and stock[shop.rice.id] == 2 and stock[shop.haircut.id] is None
    assert len(audited) == 21 and {a.actor_user_id for a in audited} == {shop.clerk.user.id}
