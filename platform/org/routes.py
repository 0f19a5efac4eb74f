"""Districts, streets, communities and grids."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.openapi.spec import Example
from litestar.params import Body
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.org import service
from servicebank.org.models import Community, District, Grid, Street
from servicebank.org.schemas import (
    CommunityIn,
    CommunityOut,
    CommunityPatch,
    DistrictIn,
    DistrictOut,
    GridIn,
    GridOut,
    PublicCommunityOut,
    StreetIn,
    StreetOut,
)


def community_out(c: Community) -> CommunityOut:
    return CommunityOut(id=c.id, district_id=c.district_id, street_id=c.street_id, name=c.name, code=c.code,
                        contact_phone=c.contact_phone)


def grid_out(g: Grid) -> GridOut:
    return GridOut(id=g.id, community_id=g.community_id, name=g.name)


class DistrictController(Controller):
    path = "/api/districts"
    tags = ["organisation"]

    @get("/")
    async def list_districts(self, db_session: AsyncSession, principal: Principal) -> list[DistrictOut]:
        """All districts (administrative names are public)."""
        rows = (await db_session.scalars(select(District).order_by(District.name))).all()
        return [DistrictOut(id=d.id, name=d.name) for d in rows]

    @post("/", status_code=201)
    async def create_district(self, db_session: AsyncSession, principal: Principal,
                              data: Annotated[DistrictIn, Body(examples=[Example(value={"name": "示范区"})])]
                              ) -> DistrictOut:
        """Create a district (区). Platform admins only; 409 `duplicate_name`."""
        d = await service.create_district(db_session, actor=principal, name=data.name)
        return DistrictOut(id=d.id, name=d.name)


class StreetController(Controller):
    path = "/api/streets"
    tags = ["organisation"]

    @get("/")
    async def list_streets(self, db_session: AsyncSession, principal: Principal,
                           district_id: int | None = None) -> list[StreetOut]:
        """Streets (街道), optionally of one district."""
        query = select(Street).order_by(Street.id)
        if district_id is not None:
            query = query.where(Street.district_id == district_id)
        return [StreetOut(id=s.id, district_id=s.district_id, name=s.name)
                for s in (await db_session.scalars(query)).all()]

    @post("/", status_code=201)
    async def create_street(self, db_session: AsyncSession, principal: Principal,
                            data: Annotated[StreetIn, Body(examples=[Example(value={"district_id": 1,
                                                                                    "name": "幸福街道"})])]
                            ) -> StreetOut:
        """Create a street office in a district. Platform admins only; 404 `district_not_found`."""
        s = await service.create_street(db_session, actor=principal, district_id=data.district_id, name=data.name)
        return StreetOut(id=s.id, district_id=s.district_id, name=s.name)


_COMMUNITY_EXAMPLE = Example(value={"district_id": 1, "street_id": 1, "name": "和谐社区", "code": "HX",
                                    "contact_phone": "010-88886666"})


class CommunityController(Controller):
    path = "/api/communities"
    tags = ["organisation"]

    @get("/public", exclude_from_auth=True)
    async def public_list(self, read_session: AsyncSession) -> list[PublicCommunityOut]:
        """Every community with its district and street, for the sign-up page. No login needed."""
        return [PublicCommunityOut(id=c.id, name=c.name, district=d, street=s)
                for c, d, s in await service.public_communities(read_session)]

    @get("/")
    async def list_communities(self, db_session: AsyncSession, principal: Principal) -> list[CommunityOut]:
        """The communities you work in or volunteer in (a street admin: all of the street; platform admin: all)."""
        return [community_out(c) for c in await service.visible_communities(db_session, actor=principal)]

    @post("/", status_code=201)
    async def create_community(self, db_session: AsyncSession, principal: Principal,
                               data: Annotated[CommunityIn, Body(examples=[_COMMUNITY_EXAMPLE])]) -> CommunityOut:
        """Create a community. Platform admins, or the street's admin. Errors: 409 `duplicate_community_code`,
        422 `invalid_community_code`, 404 `district_not_found` / `street_not_found`."""
        return community_out(await service.create_community(db_session, actor=principal, data=data))

    @get("/{community_id:int}")
    async def get_community(self, db_session: AsyncSession, principal: Principal, community_id: int) -> CommunityOut:
        """One community you are linked to; 404 `community_not_found` otherwise."""
        return community_out(await service.community_for(db_session, actor=principal, community_id=community_id))

    @patch("/{community_id:int}")
    async def update_community(self, db_session: AsyncSession, principal: Principal, community_id: int,
                               data: Annotated[CommunityPatch, Body(examples=[Example(value={
                                   "contact_phone": "010-88880000"})])]) -> CommunityOut:
        """Rename the community or change its contact phone. Its organisers and admins."""
        return community_out(await service.update_community(db_session, actor=principal, community_id=community_id,
                                                            data=data))

    @get("/{community_id:int}/grids")
    async def list_grids(self, db_session: AsyncSession, principal: Principal, community_id: int) -> list[GridOut]:
        """The community's grids (网格)."""
        return [grid_out(g) for g in await service.grids_of(db_session, actor=principal, community_id=community_id)]

    @post("/{community_id:int}/grids", status_code=201)
    async def create_grid(self, db_session: AsyncSession, principal: Principal, community_id: int,
                          data: Annotated[GridIn, Body(examples=[Example(value={"name": "第四网格"})])]) -> GridOut:
        """Add a grid to the community. Its organisers and admins; 409 `duplicate_name`."""
        return grid_out(await service.create_grid(db_session, actor=principal, community_id=community_id,
                                                  name=data.name))


ROUTES = [DistrictController, StreetController, CommunityController]
