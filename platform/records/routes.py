"""No-shows (爽约) through the API: a volunteer's standing, excusing one, the community's policy."""

from __future__ import annotations

from litestar import Controller, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.records import views
from servicebank.records.claim_routes import ClaimController
from servicebank.records.correction_routes import CorrectionController
from servicebank.records.insurance_routes import InsuranceController
from servicebank.records.qualification_routes import QualificationController
from servicebank.records.record_export_routes import RecordExportController
from servicebank.records.schemas import ExcuseIn, NoShowOut, PolicyIn, PolicyOut, StandingOut
from servicebank.records.service_record_routes import ServiceRecordController
from servicebank.records.training_routes import TrainingController


class NoShowController(Controller):
    path = "/api"
    tags = ["records"]

    @get("/me/no-shows")
    async def mine(self, db_session: AsyncSession, principal: Principal) -> StandingOut:
        """The caller's no-shows and whether their sign-ups currently wait for the organiser."""
        return await views.standing_out(db_session, principal=principal, volunteer_id=principal.require_volunteer())

    @get("/volunteers/{volunteer_id:int}/no-shows")
    async def of_volunteer(self, volunteer_id: int, db_session: AsyncSession, principal: Principal) -> StandingOut:
        """Organisers (and the volunteer): the no-shows and the hold, excused ones included."""
        return await views.standing_out(db_session, principal=principal, volunteer_id=volunteer_id)

    @post("/no-shows/{no_show_id:int}/excuse", status_code=200)
    async def excuse(self, no_show_id: int, data: ExcuseIn, db_session: AsyncSession,
                     principal: Principal) -> NoShowOut:
        """Organisers: excuse a no-show with a reason (audited; it stops counting)."""
        return await views.excuse_out(db_session, principal=principal, no_show_id=no_show_id, reason=data.reason)

    @get("/communities/{community_id:int}/no-show-policy")
    async def get_policy(self, community_id: int, db_session: AsyncSession, principal: Principal) -> PolicyOut:
        """The community's rule (defaults: 3 no-shows in 90 days → approval needed for 30 days)."""
        return await views.policy_out(db_session, principal=principal, community_id=community_id)

    @put("/communities/{community_id:int}/no-show-policy")
    async def set_policy(self, community_id: int, data: PolicyIn, db_session: AsyncSession,
                         principal: Principal) -> PolicyOut:
        """Organisers: change the community's rule (audited)."""
        return await views.policy_out(db_session, principal=principal, community_id=community_id, change=data)


ROUTES = [NoShowController, QualificationController, ClaimController, CorrectionController,
          TrainingController, RecordExportController, ServiceRecordController, InsuranceController]
