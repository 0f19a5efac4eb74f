"""Qualifications through the API: types, what kinds require, a volunteer's certificates, the organiser's check."""

from __future__ import annotations

from litestar import Controller, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.records import qualification_views as views
from servicebank.records import qualifications
from servicebank.records.schemas import (
    QualificationIn,
    QualificationOut,
    QualificationTypeIn,
    QualificationTypeOut,
    RequirementIn,
    RequirementOut,
)


def _type_out(t: qualifications.TypeView) -> QualificationTypeOut:
    return QualificationTypeOut(code=t.code, name=t.name, custom=t.custom)


class QualificationController(Controller):
    path = "/api"
    tags = ["records"]

    @get("/communities/{community_id:int}/qualification-types")
    async def types(self, community_id: int, db_session: AsyncSession, principal: Principal) -> list[QualificationTypeOut]:
        """The default types (急救证, 健康证…) and the community's own."""
        rows = await qualifications.list_types(db_session, principal=principal, community_id=community_id)
        return [_type_out(t) for t in rows]

    @post("/communities/{community_id:int}/qualification-types")
    async def add_type(self, community_id: int, data: QualificationTypeIn, db_session: AsyncSession,
                       principal: Principal) -> QualificationTypeOut:
        """Organisers: add a type, or rename a default one for the community."""
        return _type_out(await qualifications.add_type(db_session, principal=principal, community_id=community_id,
                                                       code=data.code, name=data.name))

    @get("/communities/{community_id:int}/qualification-requirements")
    async def requirements(self, community_id: int, db_session: AsyncSession,
                           principal: Principal) -> list[RequirementOut]:
        """Which activity kinds need which qualification."""
        return views.requirements_out(await qualifications.list_requirements(
            db_session, principal=principal, community_id=community_id))

    @put("/communities/{community_id:int}/qualification-requirements")
    async def set_requirement(self, community_id: int, data: RequirementIn, db_session: AsyncSession,
                              principal: Principal) -> list[RequirementOut]:
        """Organisers: make a kind require a qualification (`required: false` lifts it)."""
        return views.requirements_out(await qualifications.set_requirement(
            db_session, principal=principal, community_id=community_id, kind_code=data.kind,
            qualification_code=data.qualification_code, required=data.required))

    @get("/me/qualifications")
    async def mine(self, db_session: AsyncSession, principal: Principal) -> list[QualificationOut]:
        """The caller's certificates, soonest expiry first."""
        return await views.of_volunteer(db_session, principal=principal, volunteer_id=principal.require_volunteer())

    @post("/me/qualifications")
    async def add_mine(self, data: QualificationIn, db_session: AsyncSession, principal: Principal) -> QualificationOut:
        """A volunteer records a certificate; it counts once an organiser has checked it."""
        return await views.add(db_session, principal=principal, volunteer_id=principal.require_volunteer(), data=data)

    @get("/volunteers/{volunteer_id:int}/qualifications")
    async def of_volunteer(self, volunteer_id: int, db_session: AsyncSession,
                           principal: Principal) -> list[QualificationOut]:
        """Organisers (and the volunteer): the volunteer's certificates."""
        return await views.of_volunteer(db_session, principal=principal, volunteer_id=volunteer_id)

    @post("/volunteers/{volunteer_id:int}/qualifications")
    async def add(self, volunteer_id: int, data: QualificationIn, db_session: AsyncSession,
                  principal: Principal) -> QualificationOut:
        """Organisers: record a certificate they have seen (checked at once)."""
        return await views.add(db_session, principal=principal, volunteer_id=volunteer_id, data=data)

    @post("/qualifications/{qualification_id:int}/verify", status_code=200)
    async def verify(self, qualification_id: int, db_session: AsyncSession, principal: Principal) -> QualificationOut:
        """Organisers: record that they saw the certificate."""
        return await views.verify(db_session, principal=principal, qualification_id=qualification_id)
