"""Arranging a community with a store, its catalogue, a clerk and a volunteer who holds points."""

from __future__ import annotations

import dataclasses
import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role
from servicebank.kernel.db import Database
from servicebank.leaderboards.rebuild import rebuild_redis
from servicebank.ledger import transactions as ledger
from servicebank.ledger.verify import verify
from servicebank.stores.models import Store, StoreItem
from tests.factories import Org, Person, make_org, make_person

_credit_seq = itertools.count(1)


@dataclasses.dataclass
class Shop:
    org: Org
    organiser: Person
    clerk: Person
    volunteer: Person
    store: Store
    rice: StoreItem  # 120 points, stock 5, 1 per month
    oil: StoreItem  # 80 points, stock 10, no limit
    haircut: StoreItem  # 30 points, unlimited service


async def credit(session: AsyncSession, *, volunteer_id: int, community_id: int, points: int,
                 minutes: int | None = None) -> None:
    """Give a volunteer points (and service minutes) the way the ledger does for approved service."""
    issuer = await ledger.community_account(session, community_id)
    account = await ledger.volunteer_account(session, volunteer_id)
    await ledger.post_transaction(session, source_key=f"test-credit:{next(_credit_seq)}", kind="service",
                                  entries=[(issuer.id, -points), (account.id, points)],
                                  service_minutes={volunteer_id: points if minutes is None else minutes})
    await session.commit()
    db: Database = session.info["db"]
    if db.settings.redis_url:
        # Leaderboards are built once here, so the ledger check also proves redemptions leave them alone.
        await rebuild_redis(db)


async def make_shop(session: AsyncSession, *, points: int = 500, minutes: int | None = None,
                    store_minutes: int = 0) -> Shop:
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    store = Store(community_id=org.community.id, name="和谐爱心超市", min_service_minutes=store_minutes)
    session.add(store)
    await session.flush()
    rice = StoreItem(store_id=store.id, name="大米 5kg", unit="袋", price_points=120, stock=5, monthly_limit=1)
    oil = StoreItem(store_id=store.id, name="食用油", unit="瓶", price_points=80, stock=10)
    haircut = StoreItem(store_id=store.id, name="理发服务", kind="service", unit="次", price_points=30)
    session.add_all([rice, oil, haircut])
    await session.commit()
    clerk = await make_person(session, Role.STORE_CLERK, community=org.community, store_id=store.id)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community, name="王秀英")
    assert volunteer.volunteer is not None
    if points:
        await credit(session, volunteer_id=volunteer.volunteer.id, community_id=org.community.id, points=points,
                     minutes=minutes)
    return Shop(org=org, organiser=organiser, clerk=clerk, volunteer=volunteer, store=store, rice=rice, oil=oil,
                haircut=haircut)


async def fresh_code(client, person: Person) -> str:  # noqa: ANN001
    response = await client.get("/api/me/redemption-code", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()["code"]


async def assert_ledger_ok(db: Database) -> None:
    report = await verify(db)
    assert report.ok, report.as_dict()
