"""Training (培训情况) through the API: organisers record a course; the volunteer and organisers read the summary;
organisers say which activity kinds and request categories require a training."""

from __future__ import annotations

from collections.abc import Sequence

from litestar import Controller, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.records import training_requirements, trainings
from servicebank.records.models import TrainingRequirement
from servicebank.records.schemas import (
    TrainingIn,
    TrainingOut,
    TrainingRequirementIn,
    TrainingRequirementOut,
    TrainingRuleIn,
    TrainingRuleOut,
    TrainingSummaryOut,
)


def _requirements_out(rows: Sequence[TrainingRequirement]) -> list[TrainingRequirementOut]:
    return [TrainingRequirementOut(kind=r.kind_code, request_category_id=r.request_category_id, category=r.category,
                                   within_months=r.within_months) for r in rows]


class TrainingController(Controller):
    path = "/api"
    tags = ["records"]

    @get("/me/trainings")
    async def mine(self, db_session: AsyncSession, principal: Principal) -> TrainingSummaryOut:
        """My 培训情况: minutes per category (general, professional, pre_service), kept apart from service hours."""
        return await trainings.summary(db_session, principal=principal, volunteer_id=principal.require_volunteer())

    @get("/volunteers/{volunteer_id:int}/trainings")
    async def of_volunteer(self, volunteer_id: int, db_session: AsyncSession,
                           principal: Principal) -> TrainingSummaryOut:
        """The volunteer's 培训情况 (the volunteer, organisers of their community)."""
        return await trainings.summary(db_session, principal=principal, volunteer_id=volunteer_id)

    @post("/volunteers/{volunteer_id:int}/trainings", status_code=201)
    async def record(self, volunteer_id: int, data: TrainingIn, db_session: AsyncSession,
                     principal: Principal) -> TrainingOut:
        """Organisers: record a course the volunteer took (audited). Error: 422 `invalid_training`."""
        return await trainings.record(db_session, principal=principal, volunteer_id=volunteer_id, data=data,
                                      now=utcnow())

    @get("/communities/{community_id:int}/training-rule")
    async def rule(self, community_id: int, db_session: AsyncSession, principal: Principal) -> TrainingRuleOut:
        """Whether attending a training activity earns points here (default: no)."""
        return await trainings.rule(db_session, principal=principal, community_id=community_id)

    @put("/communities/{community_id:int}/training-rule")
    async def set_rule(self, community_id: int, data: TrainingRuleIn, db_session: AsyncSession,
                       principal: Principal) -> TrainingRuleOut:
        """Organisers: let training activities earn points, or stop them (audited)."""
        return await trainings.set_rule(db_session, principal=principal, community_id=community_id, data=data,
                                        now=utcnow())

    @get("/communities/{community_id:int}/training-requirements")
    async def requirements(self, community_id: int, db_session: AsyncSession,
                           principal: Principal) -> list[TrainingRequirementOut]:
        """The activity kinds and request categories whose volunteers must have had a training (members)."""
        return _requirements_out(await training_requirements.list_requirements(db_session, principal=principal,
                                                                               community_id=community_id))

    @put("/communities/{community_id:int}/training-requirements")
    async def set_requirement(self, community_id: int, data: TrainingRequirementIn, db_session: AsyncSession,
                              principal: Principal) -> list[TrainingRequirementOut]:
        """Organisers: make a kind or a request category require a training of a category, ever or within the last
        N months (`required: false` lifts it; audited). Errors: 422 `training_requirement_target`,
        `invalid_training_requirement`, `unknown_kind`, `request_category_unknown`."""
        return _requirements_out(await training_requirements.set_requirement(
            db_session, principal=principal, community_id=community_id, kind_code=data.kind,
            request_category_id=data.request_category_id, category=data.category, within_months=data.within_months,
            required=data.required))
