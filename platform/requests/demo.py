"""Demo data: 和谐社区's households and requests in every stage (waiting review, in the hall, assigned, rated),
made through the domain's own service functions, as the 网格员 and organiser would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.org.models import Grid
from servicebank.requests import dispatch, service, serving
from servicebank.requests.models import Household
from servicebank.requests.schemas import RequestIn, WindowIn

HOUSEHOLDS = [  # name, building, unit, phone
    ("赵桂兰", "3号楼", "2单元301", "13800001111"),
    ("钱德明", "5号楼", "1单元102", None),
    ("孙秀珍", "7号楼", "3单元502", "13800003333"),
    ("周大爷", "2号楼", "1单元201", None),
]


async def seed(session: AsyncSession, ctx: Any) -> None:
    """Households, and requests pending review, open in the hall, assigned, and served and rated."""
    community = ctx.values["community"]
    volunteers = ctx.values["volunteers"]
    grids = (await session.scalars(select(Grid).where(Grid.community_id == community.id).order_by(Grid.id))).all()
    organiser_id = await session.scalar(select(User.id).where(User.username == "organiser"))
    assert organiser_id is not None, "the accounts demo made the organiser's login"
    organiser = Principal(user_id=organiser_id, display_name="社工小李", grants=(),
                          managed_community_ids=frozenset({community.id}))
    households = []
    for i, (name, building, unit, phone) in enumerate(HOUSEHOLDS):
        household = Household(community_id=community.id, grid_id=grids[i % len(grids)].id, building=building,
                              unit=unit, name=name, phone=phone, created_by_user_id=organiser_id)
        session.add(household)
        households.append(household)
    await session.flush()
    categories = {c.name: c.id for c in await service.categories(session, principal=organiser,
                                                                  community_id=community.id)}
    now = utcnow()
    tomorrow = WindowIn(start=now + dt.timedelta(hours=20), end=now + dt.timedelta(hours=24))

    async def ask(household: Household, category: str, text: str, urgency: int = 0) -> int:
        request = await service.create(session, principal=organiser, data=RequestIn(
            household_id=household.id, category_id=categories[category], description=text, windows=[tomorrow],
            urgency=urgency))
        return request.id

    await ask(households[0], "陪诊", "下周二去区医院复查，需要有人陪同", urgency=1)
    opened = await ask(households[1], "代购", "买米、油和降压药")
    await dispatch.review(session, principal=organiser, request_id=opened, approve=True, reason=None)
    await dispatch.dispatch(session, principal=organiser, request_id=opened, volunteer_id=None, open_to_hall=True)
    assigned = await ask(households[2], "家电维修", "厨房灯不亮了", urgency=2)
    await dispatch.review(session, principal=organiser, request_id=assigned, approve=True, reason=None)
    await dispatch.dispatch(session, principal=organiser, request_id=assigned, volunteer_id=volunteers[2].id,
                            open_to_hall=False)
    rated = await ask(households[3], "理发", "上门理发")
    await dispatch.review(session, principal=organiser, request_id=rated, approve=True, reason=None)
    await dispatch.dispatch(session, principal=organiser, request_id=rated, volunteer_id=volunteers[1].id,
                            open_to_hall=False)
    started = await serving.start(session, principal=organiser, request_id=rated)
    started.started_at = utcnow() - dt.timedelta(minutes=45)  # the haircut took three quarters of an hour
    await serving.finish(session, principal=organiser, request_id=rated)
    await serving.rate(session, principal=organiser, request_id=rated, stars=5, tags=["准时", "手艺好"],
                       comment="理得很精神，谢谢小伙子")
    ctx.values.update(households=households)
