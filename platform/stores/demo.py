"""Demo data: 和谐社区's 爱心超市 with a small catalogue, a partner barber shop, and the clerk login."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role, RoleGrant, User
from servicebank.stores.models import ItemKind, Store, StoreItem, StoreKind

SUPERMARKET_ITEMS = [
    # name, kind, unit, points, stock (None: unlimited), monthly limit
    ("大米 5kg", ItemKind.GOODS, "袋", 120, 40, 1),
    ("食用油 1.8L", ItemKind.GOODS, "瓶", 90, 30, 1),
    ("毛巾", ItemKind.GOODS, "条", 20, 100, 4),
    ("洗衣液", ItemKind.GOODS, "瓶", 40, 50, 2),
    ("鸡蛋 一盒", ItemKind.GOODS, "盒", 30, 60, 2),
    ("挂面", ItemKind.GOODS, "包", 15, 80, None),
    ("理发服务", ItemKind.SERVICE, "次", 30, None, 2),
    ("家电小修", ItemKind.SERVICE, "次", 60, None, 1),
]


async def seed(session: AsyncSession, ctx: Any) -> None:
    """Add the stores, their catalogues and the clerk login."""
    community = ctx.values["community"]
    supermarket = Store(community_id=community.id, name="和谐爱心超市", kind=StoreKind.CHARITY_SUPERMARKET,
                        address="和谐社区党群服务中心一楼", opening_hours="周二、周五 9:00-11:30",
                        contact_phone="010-88886666", refund_days=7,
                        description="志愿服务积分兑换生活用品与便民服务。")
    barber = Store(community_id=community.id, name="老街坊理发店", kind=StoreKind.SERVICE_PROVIDER,
                   address="和谐路 18 号", opening_hours="每天 8:00-18:00", refund_days=1,
                   # Like the Nanjing time bank: credit is spent after 20 hours of service.
                   min_service_minutes=20 * 60)
    session.add_all([supermarket, barber])
    await session.flush()
    for order, (name, kind, unit, points, stock, limit) in enumerate(SUPERMARKET_ITEMS):
        session.add(StoreItem(store_id=supermarket.id, name=name, kind=kind, unit=unit, price_points=points,
                              stock=stock, monthly_limit=limit, sort_order=order))
    session.add_all([
        StoreItem(store_id=barber.id, name="理发", kind=ItemKind.SERVICE, unit="次", price_points=25, monthly_limit=2),
        StoreItem(store_id=barber.id, name="上门理发（行动不便老人）", kind=ItemKind.SERVICE, unit="次", price_points=40,
                  monthly_limit=1, sort_order=1),
    ])
    clerk = User(username="clerk", display_name="爱心超市店员", password_hash=ctx.values["password_hash"])
    session.add(clerk)
    await session.flush()
    session.add(RoleGrant(user_id=clerk.id, role=Role.STORE_CLERK, community_id=community.id,
                          store_id=supermarket.id))
    await session.flush()
    ctx.login("store clerk", "clerk", "和谐爱心超市")
    ctx.values.update(store=supermarket, barber_store=barber)
