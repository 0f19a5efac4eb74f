"""Insurance cover (保险) through the API: a volunteer's or an activity's policy, and what requires cover."""

from __future__ import annotations

from litestar import Controller, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.records import insurance
from servicebank.records.insurance_views import (
    CoverBody,
    CoverOut,
    CoverRequirementIn,
    CoverRequirementOut,
    present,
    requirements_out,
)


class InsuranceController(Controller):
    path = "/api"
    tags = ["records"]

    @get("/me/insurance")
    async def mine(self, db_session: AsyncSession, principal: Principal) -> list[CoverOut]:
        """The caller's own policies, latest end first (group policies belong to activities)."""
        return present(db_session, await insurance.of_volunteer(db_session, principal=principal,
                                                                volunteer_id=principal.require_volunteer()))

    @get("/volunteers/{volunteer_id:int}/insurance")
    async def of_volunteer(self, volunteer_id: int, db_session: AsyncSession, principal: Principal) -> list[CoverOut]:
        """Organisers (and the volunteer): the volunteer's own policies."""
        return present(db_session, await insurance.of_volunteer(db_session, principal=principal,
                                                                volunteer_id=volunteer_id))

    @post("/volunteers/{volunteer_id:int}/insurance", status_code=201)
    async def add_for_volunteer(self, volunteer_id: int, data: CoverBody, db_session: AsyncSession,
                                principal: Principal) -> CoverOut:
        """Organisers: record a volunteer's policy they have seen (audited). Error: 422 `invalid_cover`."""
        row = await insurance.record_for_volunteer(db_session, principal=principal, volunteer_id=volunteer_id,
                                                   data=data.plain())
        return present(db_session, [row])[0]

    @get("/activities/{activity_id:int}/insurance")
    async def of_activity(self, activity_id: int, db_session: AsyncSession, principal: Principal) -> list[CoverOut]:
        """Organisers: the activity's group policies."""
        return present(db_session, await insurance.of_activity(db_session, principal=principal,
                                                               activity_id=activity_id))

    @post("/activities/{activity_id:int}/insurance", status_code=201)
    async def add_for_activity(self, activity_id: int, data: CoverBody, db_session: AsyncSession,
                               principal: Principal) -> CoverOut:
        """Organisers: record a group policy covering everyone taking part in the activity (audited)."""
        row = await insurance.record_for_activity(db_session, principal=principal, activity_id=activity_id,
                                                  data=data.plain())
        return present(db_session, [row])[0]

    @get("/communities/{community_id:int}/cover-requirements")
    async def requirements(self, community_id: int, db_session: AsyncSession,
                           principal: Principal) -> list[CoverRequirementOut]:
        """The activity kinds and request categories whose volunteers must be insured on the day."""
        return requirements_out(await insurance.list_requirements(db_session, principal=principal,
                                                                  community_id=community_id))

    @put("/communities/{community_id:int}/cover-requirements")
    async def set_requirement(self, community_id: int, data: CoverRequirementIn, db_session: AsyncSession,
                              principal: Principal) -> list[CoverRequirementOut]:
        """Organisers: make a kind or a request category require cover (`required: false` lifts it)."""
        return requirements_out(await insurance.set_requirement(
            db_session, principal=principal, community_id=community_id, kind_code=data.kind,
            request_category_id=data.request_category_id, required=data.required))
