"""The browser world's part for residents' requests: a 网格员, a resident with a household, a second volunteer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role
from servicebank.requests.models import Household
from tests.factories import make_person, make_team


async def requests_world(session: AsyncSession, org) -> dict[str, object]:  # noqa: ANN001
    team = await make_team(session, org.community, name="第一网格楼栋长")
    grid_worker = await make_person(session, Role.TEAM_LEADER, community=org.community, team=team, name="网格员刘姐")
    resident = await make_person(session, Role.VOLUNTEER, community=org.community, name="赵桂兰")
    helper = await make_person(session, Role.VOLUNTEER, community=org.community, name="李建国")
    household = Household(community_id=org.community.id, grid_id=org.grid.id, building="3号楼", unit="2单元301",
                          name="赵桂兰", phone="13800001111", volunteer_id=resident.volunteer.id)
    session.add(household)
    await session.commit()
    return {"grid_worker": grid_worker.user.username, "resident": resident.user.phone, "helper": helper.user.phone,
            "household_id": household.id}
